import DequeModule

/// Received events waiting for the consumer, and the accounting that pauses and resumes
/// lws's reading of the socket (`maxInboundBuffer`).
///
/// Pure: the connection driver carries out what the results say (`lws_rx_flow_control`).
struct InboundBuffer {
    let maxBytes: Int
    private(set) var events = Deque<InboundEvent>()
    /// What the queued events cost against ``maxBytes`` (``InboundEvent/bufferCost``).
    private(set) var bytes = 0
    /// lws stopped reading for us.
    private(set) var readPaused = false
    /// A resume is on its way to the service thread; no need to ask twice.
    private(set) var resumeRequested = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    var isEmpty: Bool { events.isEmpty }

    /// Queues an event.
    /// - Returns: whether reading must pause now (the buffer just went over ``maxBytes``).
    mutating func push(_ event: InboundEvent) -> Bool {
        events.append(event)
        bytes += event.bufferCost
        guard bytes > maxBytes, !readPaused else { return false }
        readPaused = true
        return true
    }

    /// Takes the oldest event.
    /// - Returns: the event, and whether reading must resume (the consumer drained the buffer
    ///   to half of ``maxBytes`` while it was paused). A resume is asked for once.
    mutating func pop() -> (event: InboundEvent?, resumeReading: Bool) {
        guard let event = events.popFirst() else { return (nil, false) }
        bytes -= event.bufferCost
        guard readPaused, !resumeRequested, bytes <= maxBytes / 2 else { return (event, false) }
        resumeRequested = true
        return (event, true)
    }

    /// Reading resumed (after ``pop()`` asked for it).
    mutating func readingResumed() {
        readPaused = false
        resumeRequested = false
    }

    /// Reading must go on whatever the buffer holds (the close handshake needs the peer's close
    /// frame, which may sit behind data we stopped reading).
    /// - Returns: whether reading was paused and must be turned back on.
    mutating func forceResume() -> Bool {
        defer { readPaused = false }
        return readPaused
    }
}
