@testable import LibWebSockets
import Testing

extension AllTests {
    /// connecting → open → closing → closed, and every transition that must change nothing.
    @Suite struct ConnectionLifecycleTests {
        private let bye = CloseFrame(code: .normalClosure, reason: "bye")

        @Test func opensOnlyFromConnecting() {
            var lifecycle = ConnectionLifecycle()
            #expect(lifecycle.phase == .connecting)
            #expect(!lifecycle.acceptsSends)
            #expect(lifecycle.open() == true)
            #expect(lifecycle.phase == .open && lifecycle.acceptsSends)
            #expect(lifecycle.open() == false)  // twice
            _ = lifecycle.end(closeFrameSent: false, undeliveredMessages: 0)
            #expect(lifecycle.open() == false)  // after the end
            #expect(lifecycle.phase == .closed)
        }

        @Test func closeIsRequestedOnceAndOnlyWhenOpen() {
            var lifecycle = ConnectionLifecycle()
            #expect(lifecycle.requestClose(bye) == false)  // still connecting
            #expect(lifecycle.closeFrameDue == nil)
            _ = lifecycle.open()
            #expect(lifecycle.requestClose(bye) == true)
            #expect(lifecycle.phase == .closing && !lifecycle.acceptsSends)
            #expect(lifecycle.closeFrameDue == bye)
            #expect(lifecycle.requestClose(CloseFrame(code: .goingAway, reason: "")) == false)  // the first one stands
            #expect(lifecycle.closeFrameDue == bye)
        }

        @Test func peerCloseMovesOpenToClosingAndDecidesTheResult() {
            var lifecycle = ConnectionLifecycle()
            _ = lifecycle.open()
            lifecycle.peerClosed(CloseFrame(code: .goingAway, reason: "away"))
            #expect(lifecycle.phase == .closing)
            #expect(lifecycle.closeFrameDue == nil)  // lws answers a peer's close itself
            let result = lifecycle.end(closeFrameSent: false, undeliveredMessages: 2)
            #expect(result == WebSocketCloseResult(code: .goingAway, reason: "away", initiatedLocally: false, undeliveredMessages: 2))
        }

        @Test func ourCloseAnsweredByThePeerReportsThePeersCode() {
            var lifecycle = ConnectionLifecycle()
            _ = lifecycle.open()
            _ = lifecycle.requestClose(bye)
            lifecycle.peerClosed(CloseFrame(code: .normalClosure, reason: "ok"))
            #expect(lifecycle.end(closeFrameSent: true, undeliveredMessages: 0)
                == WebSocketCloseResult(code: .normalClosure, reason: "ok", initiatedLocally: true))
        }

        @Test func ourCloseNeverAnsweredReportsOurCode() {
            var lifecycle = ConnectionLifecycle()
            _ = lifecycle.open()
            _ = lifecycle.requestClose(bye)
            #expect(lifecycle.end(closeFrameSent: true, undeliveredMessages: 0)
                == WebSocketCloseResult(code: .normalClosure, reason: "bye", initiatedLocally: true))
        }

        @Test func closeRequestedButNeverSentIsAbnormal() {
            var lifecycle = ConnectionLifecycle()
            _ = lifecycle.open()
            _ = lifecycle.requestClose(bye)
            #expect(lifecycle.end(closeFrameSent: false, undeliveredMessages: 1)
                == WebSocketCloseResult(code: .abnormalClosure, reason: "", initiatedLocally: false, undeliveredMessages: 1))
        }

        @Test func failureOverridesARequestedCloseAndIsKept() {
            var lifecycle = ConnectionLifecycle()
            _ = lifecycle.open()
            _ = lifecycle.requestClose(bye)
            let tooBig = CloseFrame(code: .messageTooBig, reason: "message too big")
            lifecycle.fail(.messageTooLarge(4), frame: tooBig)
            #expect(lifecycle.failure == .messageTooLarge(4))
            #expect(lifecycle.closeFrameDue == tooBig)
            #expect(lifecycle.end(closeFrameSent: true, undeliveredMessages: 0).code == .messageTooBig)
        }

        @Test func nothingChangesAfterTheEnd() {
            var lifecycle = ConnectionLifecycle()
            _ = lifecycle.open()
            let first = lifecycle.end(closeFrameSent: false, undeliveredMessages: 0)
            lifecycle.peerClosed(CloseFrame(code: .goingAway, reason: "late"))
            lifecycle.fail(.invalidUTF8, frame: CloseFrame(code: .invalidFramePayloadData, reason: ""))
            #expect(lifecycle.requestClose(bye) == false)
            #expect(lifecycle.failure == nil)
            #expect(lifecycle.end(closeFrameSent: true, undeliveredMessages: 9) == first)
            #expect(lifecycle.result == first)
        }

        @Test func closeFramePayloadIsParsed() {
            let parsed = [UInt8]([0x03, 0xE9, 0x68, 0x69]).withUnsafeBytes { CloseFrame(payload: $0) }
            #expect(parsed == CloseFrame(code: .goingAway, reason: "hi"))
            let empty = [UInt8]().withUnsafeBytes { CloseFrame(payload: $0) }
            #expect(empty == CloseFrame(code: .noStatusReceived, reason: ""))
            let codeOnly = [UInt8]([0x03, 0xE8]).withUnsafeBytes { CloseFrame(payload: $0) }
            #expect(codeOnly == CloseFrame(code: .normalClosure, reason: ""))
        }
    }
}
