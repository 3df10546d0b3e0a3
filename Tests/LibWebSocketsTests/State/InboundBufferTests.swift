@testable import LibWebSockets
import Testing

extension AllTests {
    /// The inbound buffer alone: when lws must stop reading and when it may go on.
    @Suite struct InboundBufferTests {
        private let overhead = InboundEvent.overhead

        @Test func pausesOnceWhenOverTheLimit() {
            var buffer = InboundBuffer(maxBytes: 2 * overhead + 10)
            #expect(buffer.push(.message(.binary([1]))) == false)
            #expect(buffer.push(.pong([])) == false)
            #expect(buffer.push(.message(.binary(Array(repeating: 0, count: 10)))) == true)  // over: pause
            #expect(buffer.push(.message(.text(""))) == false)  // already paused
            #expect(buffer.readPaused)
        }

        @Test func resumesOnceDrainedToHalf() {
            var buffer = InboundBuffer(maxBytes: 4 * overhead)
            for _ in 0 ..< 5 { _ = buffer.push(.message(.text(""))) }
            #expect(buffer.readPaused)
            #expect(buffer.pop().resumeReading == false)  // 4 left: not yet half
            #expect(buffer.pop().resumeReading == false)  // 3 left
            let (event, resume) = buffer.pop()  // 2 left: half
            #expect(event == .message(.text("")) && resume)
            #expect(buffer.pop().resumeReading == false)  // asked once
            buffer.readingResumed()
            #expect(!buffer.readPaused)
        }

        @Test func popOnEmptyGivesNothing() {
            var buffer = InboundBuffer(maxBytes: 10)
            let (event, resume) = buffer.pop()
            #expect(event == nil && !resume)
        }

        @Test func forceResumeSaysWhetherReadingWasPaused() {
            var buffer = InboundBuffer(maxBytes: 0)
            #expect(buffer.forceResume() == false)
            _ = buffer.push(.pong([1]))
            #expect(buffer.forceResume() == true)
            #expect(!buffer.readPaused)
        }
    }
}
