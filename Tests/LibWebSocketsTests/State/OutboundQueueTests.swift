@testable import LibWebSockets
import Testing

extension AllTests {
    /// The outbound queue alone: backpressure, WRITEABLE bookkeeping, fragmentation, waiters.
    @Suite struct OutboundQueueTests {
        typealias Queue = OutboundQueue<Int>

        @Test func firstAppendAsksForWriteableOnceUntilTheCallback() {
            var queue = Queue(maxBackpressure: 100, maxFrameSize: 100)
            #expect(queue.append(.text("a")) == true)
            #expect(queue.append(.text("b")) == false)  // already asked
            #expect(queue.appendPing([1]) == false)
            queue.writeableBegan()
            #expect(queue.append(.text("c")) == true)
            #expect(queue.bytes == 3)
        }

        @Test func roomEndsPastMaxBackpressureAndBehindWaiters() {
            var queue = Queue(maxBackpressure: 4, maxFrameSize: 100)
            #expect(queue.hasRoom)
            _ = queue.append(.binary([1, 2, 3, 4]))
            #expect(queue.hasRoom)  // at the limit, not past it
            _ = queue.append(.binary([5]))
            #expect(!queue.hasRoom)
            queue.addSender(.init(id: 1, message: .binary([6]), waiter: 10))
            var admitted: [Int] = []
            guard case .message = queue.nextStep(advance: 0, admitted: &admitted) else { Issue.record("no message"); return }
            // 1 byte left, so the waiter's message was admitted, but a later send still may not jump it.
            #expect(admitted == [10])
            #expect(queue.senders.isEmpty && queue.bytes == 2 && queue.hasRoom)
        }

        @Test func waitersAreAdmittedInOrderWhileThereIsRoom() {
            var queue = Queue(maxBackpressure: 2, maxFrameSize: 100)
            _ = queue.append(.binary([1, 2, 3]))
            queue.addSender(.init(id: 1, message: .binary([1, 1]), waiter: 1))
            queue.addSender(.init(id: 2, message: .binary([2]), waiter: 2))
            queue.addSender(.init(id: 3, message: .binary([3]), waiter: 3))
            var admitted: [Int] = []
            _ = queue.nextStep(advance: 0, admitted: &admitted)
            #expect(admitted == [1, 2])  // 2 + 1 bytes: the third waits behind
            #expect(queue.senders.map(\.id) == [3])
        }

        @Test func cancelledSenderLeavesTheQueue() {
            var queue = Queue(maxBackpressure: 0, maxFrameSize: 100)
            queue.addSender(.init(id: 7, message: .text("x"), waiter: 70))
            #expect(queue.removeSender(id: 8) == nil)
            #expect(queue.removeSender(id: 7)?.waiter == 70)
            #expect(queue.senders.isEmpty)
        }

        @Test func pingsGoFirstEvenBetweenFragments() {
            var queue = Queue(maxBackpressure: 100, maxFrameSize: 4)
            _ = queue.append(.binary(Array(0 ..< 10)))
            _ = queue.appendPing([9])
            var admitted: [Int] = []
            guard case .ping([9]) = queue.nextStep(advance: 0, admitted: &admitted) else { Issue.record("ping first"); return }
            guard case .fragment(let first) = queue.nextStep(advance: 0, admitted: &admitted) else { Issue.record("fragment"); return }
            #expect(first.offset == 0 && first.frame(length: 4) == (.binary, false))
            _ = queue.appendPing([8])
            guard case .ping([8]) = queue.nextStep(advance: 4, admitted: &admitted) else { Issue.record("ping between"); return }
            guard case .fragment(let second) = queue.nextStep(advance: 0, admitted: &admitted) else { Issue.record("fragment 2"); return }
            #expect(second.offset == 4 && second.frame(length: 4) == (.continuation, false))
            guard case .message(let last) = queue.nextStep(advance: 4, admitted: &admitted) else { Issue.record("last"); return }
            #expect(last.offset == 8 && last.remaining == 2 && last.frame(length: 2) == (.continuation, true))
            #expect(last.withFragment(length: 2) { Array($0) } == [8, 9])
            guard case .idle = queue.nextStep(advance: 0, admitted: &admitted) else { Issue.record("idle"); return }
            #expect(queue.bytes == 0)
        }

        @Test func deferredWritesCommitTheFragmentAndStayRequested() {
            var queue = Queue(maxBackpressure: 100, maxFrameSize: 3)
            _ = queue.append(.text("abcdef"))
            queue.writeableBegan()
            var admitted: [Int] = []
            _ = queue.nextStep(advance: 0, admitted: &admitted)
            queue.deferRest(advance: 3)
            #expect(queue.writableRequested)
            #expect(queue.append(.text("g")) == false)  // the callback is already on its way
            guard case .message(let rest) = queue.nextStep(advance: 0, admitted: &admitted) else { Issue.record("rest"); return }
            #expect(rest.withFragment(length: rest.remaining) { Array($0) } == Array("def".utf8))
        }

        @Test func removeAllCountsEverythingNeverWritten() {
            var queue = Queue(maxBackpressure: 1, maxFrameSize: 100)
            _ = queue.append(.text("ab"))
            _ = queue.append(.text("cd"))
            queue.addSender(.init(id: 1, message: .text("e"), waiter: 5))
            _ = queue.appendPing([])
            queue.writeFailed()
            let (undelivered, senders) = queue.removeAll()
            #expect(undelivered == 4)  // two queued, one waiting, one lost in a failed write
            #expect(senders.map(\.waiter) == [5])
            #expect(queue.bytes == 0 && !queue.hasFrames)
        }
    }
}
