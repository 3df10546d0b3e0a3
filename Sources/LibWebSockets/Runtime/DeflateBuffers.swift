/// The memory a compressed connection lends lws's permessage-deflate, which keeps pointers into
/// it between callbacks. Service thread only; owned by the connection (``ConnectionLocal``), so
/// it outlives every inflate and deflate lws runs for that connection.
///
/// - Input: lws 4.1.6 hands the inflater compressed bytes inside its per-thread read buffer and,
///   when the inflated output fills a step, leaves zlib's `next_in` pointing there until a later
///   service call drains it. By then another connection's read has overwritten that buffer
///   (zlib: "invalid block type"). The extension callback copies each new input here first, and
///   lws's pointer then lands in memory only this connection writes.
/// - Output: the deflater reads the message being sent until lws has sent all of it, over as many
///   WRITEABLE turns as it takes; the context's shared write buffer would be overwritten by other
///   connections meanwhile. Each compressed connection sends from its own buffer.
final class DeflateBuffers {
    /// This side's compression window as negotiated (a server's `server_max_window_bits`, a
    /// client's `client_max_window_bits`), 15 when none was. lws 4.1.6 sizes both its inflater
    /// and its compressor from one option on a listening vhost, so a smaller window is set just
    /// before each deflate step and 15 before each inflate step.
    let windowBits: Int

    /// The inflater's input, while ``inputPending``.
    private var input: UnsafeMutableRawPointer?
    private var inputCapacity = 0
    /// The inflater's last step left input unread in ``input`` (lws said `HAS_PENDING`).
    var inputPending = false
    /// lws is still sending the last message's compressed output in pieces (`HAS_PENDING`); it
    /// calls this connection's WRITEABLE again only when that is done.
    var outputPending = false
    /// The message being sent, behind `LWS_PRE` bytes of headroom.
    private var output: UnsafeMutableRawPointer?
    private var outputCapacity = 0

    /// Largest send buffer kept between messages; one for a larger message is freed when lws
    /// is done with it.
    static let keptOutputCapacity = 64 << 10

    /// This side opened the connection.
    let isClient: Bool

    /// - Parameters:
    ///   - windowBits: this side's compression window, 9 to 15.
    ///   - isClient: this side opened the connection.
    init(windowBits: Int, isClient: Bool) {
        self.windowBits = windowBits
        self.isClient = isClient
    }

    /// Whether `pointer` lies in the input copy (the inflater's own leftovers, handed back).
    func holdsInput(_ pointer: UnsafeRawPointer) -> Bool {
        guard let input else { return false }
        return pointer >= UnsafeRawPointer(input) && pointer < UnsafeRawPointer(input) + inputCapacity
    }

    /// Copies new compressed input and returns where the copy is.
    func keepInput(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        if bytes.count > inputCapacity || input == nil {
            input?.deallocate()
            inputCapacity = max(bytes.count, 4096)
            input = .allocate(byteCount: inputCapacity, alignment: 16)
        }
        input!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        return input!
    }

    /// A buffer for one message of `payloadCapacity` bytes, `headroom` bytes in; it stays
    /// untouched until the next call, which lws makes only after it has sent all of it.
    func outputBuffer(payloadCapacity: Int, headroom: Int) -> UnsafeMutableRawPointer {
        if payloadCapacity > outputCapacity || output == nil
            || (outputCapacity > Self.keptOutputCapacity && payloadCapacity <= Self.keptOutputCapacity) {
            output?.deallocate()
            outputCapacity = max(payloadCapacity, 4096)
            output = .allocate(byteCount: headroom + outputCapacity, alignment: 16)
        }
        return output! + headroom
    }

    deinit {
        input?.deallocate()
        output?.deallocate()
    }
}
