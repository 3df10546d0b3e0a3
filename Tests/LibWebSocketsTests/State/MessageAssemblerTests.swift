@testable import LibWebSockets
import Testing

extension AllTests {
    /// The reassembly state machine alone, without lws.
    @Suite struct MessageAssemblerTests {
        private func feed(_ assembler: inout MessageAssembler, _ bytes: [UInt8], first: Bool, final: Bool, binary: Bool,
                          remaining: Int = 0) -> MessageAssembler.Action {
            bytes.withUnsafeBytes { assembler.append($0, first: first, final: final, binary: binary, remainingInFrame: remaining) }
        }

        @Test func wholeMessageInOneChunk() {
            var assembler = MessageAssembler(maxMessageSize: 10)
            #expect(feed(&assembler, Array("hello".utf8), first: true, final: true, binary: false) == .deliver(.text("hello")))
            #expect(feed(&assembler, [1, 2], first: true, final: true, binary: true) == .deliver(.binary([1, 2])))
            #expect(feed(&assembler, [], first: true, final: true, binary: false) == .deliver(.text("")))
        }

        @Test func chunksAreJoinedUntilFinal() {
            var assembler = MessageAssembler(maxMessageSize: 100)
            #expect(feed(&assembler, Array("ab".utf8), first: true, final: false, binary: false, remaining: 40) == .needMore)
            #expect(feed(&assembler, Array("cd".utf8), first: false, final: false, binary: false) == .needMore)
            #expect(feed(&assembler, Array("e".utf8), first: false, final: true, binary: false) == .deliver(.text("abcde")))
            // The next message starts clean.
            #expect(feed(&assembler, [9], first: true, final: true, binary: true) == .deliver(.binary([9])))
        }

        @Test func sizeCapCountsEveryChunk() {
            var assembler = MessageAssembler(maxMessageSize: 4)
            #expect(feed(&assembler, [1, 2, 3, 4], first: true, final: true, binary: true) == .deliver(.binary([1, 2, 3, 4])))
            #expect(feed(&assembler, [1, 2, 3, 4, 5], first: true, final: true, binary: true) == .closeTooLarge)
            #expect(feed(&assembler, [1, 2, 3], first: true, final: false, binary: true) == .needMore)
            #expect(feed(&assembler, [4, 5], first: false, final: false, binary: true) == .closeTooLarge)
        }

        @Test func invalidUTF8IsRejectedUnlessLwsAlreadyValidated() {
            let invalid: [UInt8] = [0x48, 0xC3, 0x28]
            var checking = MessageAssembler(maxMessageSize: 100)
            #expect(feed(&checking, invalid, first: true, final: true, binary: false) == .closeInvalidUTF8)
            #expect(feed(&checking, [0xE2, 0x82], first: true, final: false, binary: false) == .needMore)
            #expect(feed(&checking, [0xAC], first: false, final: true, binary: false) == .deliver(.text("€")))
            var trusting = MessageAssembler(maxMessageSize: 100, textIsValidated: true)
            #expect(feed(&trusting, Array("ok ✓".utf8), first: true, final: true, binary: false) == .deliver(.text("ok ✓")))
        }
    }
}
