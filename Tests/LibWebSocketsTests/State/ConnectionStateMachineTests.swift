@testable import LibWebSockets
import Testing

extension AllTests {
    /// The whole connection state machine, driven with plain values for waiters: every action
    /// the driver and the public API carry out, and the calls that must do nothing.
    @Suite struct ConnectionStateMachineTests {
        typealias Machine = ConnectionStateMachine<Int, String>

        private func openMachine(maxBackpressure: Int = 100, maxFrameSize: Int = 100, maxInbound: Int = 1000) -> Machine {
            var machine = Machine(maxBackpressure: maxBackpressure, maxFrameSize: maxFrameSize, maxInboundBuffer: maxInbound)
            #expect(machine.open() == true)
            return machine
        }

        private func write(_ machine: inout Machine, advance: Int = 0) -> (Machine.WriteStep, Machine.Backlog, [Int]) {
            var admitted: [Int] = []
            let (step, backlog) = machine.nextWrite(advance: advance, admitted: &admitted)
            return (step, backlog, admitted)
        }

        @Test func sendsFailBeforeOpenAndAfterClose() {
            var machine = Machine(maxBackpressure: 10, maxFrameSize: 10, maxInboundBuffer: 10)
            guard case .fail(.connectionClosed) = machine.send(.text("early")) else { Issue.record("sent before open"); return }
            #expect(machine.ping([], waiter: 1) == nil)
            _ = machine.open()
            guard case .queued(requestWritable: true) = machine.send(.text("a")) else { Issue.record("not queued"); return }
            #expect(machine.requestClose(CloseFrame(code: .normalClosure, reason: "")) == false)  // WRITEABLE already asked
            guard case .fail(.connectionClosed) = machine.send(.text("late")) else { Issue.record("sent while closing"); return }
            #expect(machine.requestClose(CloseFrame(code: .goingAway, reason: "")) == nil)  // twice
        }

        @Test func senderWaitsBehindAFullQueueAndIsAdmittedByTheWrite() {
            var machine = openMachine(maxBackpressure: 2)
            _ = machine.send(.binary([1, 2, 3]))
            guard case .wait = machine.send(.binary([4])) else { Issue.record("no backpressure"); return }
            let id = machine.makeSenderID()
            guard case .wait = machine.sendOrWait(.binary([4]), id: id, waiter: 42) else { Issue.record("not parked"); return }
            guard case .wait = machine.send(.binary([5])) else { Issue.record("jumped the waiter"); return }
            machine.writeableBegan()
            let (step, backlog, admitted) = write(&machine)
            guard case .message(let first) = step else { Issue.record("no message"); return }
            #expect(first.byteCount == 3 && admitted == [42] && backlog == .frames)
            #expect(machine.cancelSender(id: id) == nil)  // already admitted
        }

        @Test func cancelledSenderIsHandedBack() {
            var machine = openMachine(maxBackpressure: 0)
            _ = machine.send(.binary([1]))
            let id = machine.makeSenderID()
            _ = machine.sendOrWait(.binary([2]), id: id, waiter: 7)
            #expect(machine.cancelSender(id: id) == 7)
            #expect(machine.outbound.senders.isEmpty)
        }

        @Test func closeFrameFollowsTheLastQueuedMessage() {
            var machine = openMachine()
            _ = machine.send(.text("last words"))
            _ = machine.requestClose(CloseFrame(code: .normalClosure, reason: "bye"))
            machine.writeableBegan()
            let (step, backlog, _) = write(&machine)
            guard case .message = step else { Issue.record("message first"); return }
            #expect(backlog == .closeFrame)
            let (close, after, _) = write(&machine)
            guard case .close(let frame) = close else { Issue.record("no close frame"); return }
            #expect(frame == CloseFrame(code: .normalClosure, reason: "bye") && after == Machine.Backlog.none)
        }

        @Test func idleWriteWithNothingQueued() {
            var machine = openMachine()
            let (step, backlog, _) = write(&machine)
            guard case .idle = step else { Issue.record("not idle"); return }
            #expect(backlog == Machine.Backlog.none)
        }

        @Test func pongResumesTheMatchingPingAndIsQueuedOnlyWhenWanted() {
            var machine = openMachine()
            #expect(machine.ping([1], waiter: 1) == true)
            #expect(machine.ping([2], waiter: 2) == false)
            #expect(machine.pongReceived([2]) == (waiter: 2, queueEvent: false))
            #expect(machine.pongReceived([9]) == (waiter: nil, queueEvent: false))
            machine.wantsPongEvents = true
            #expect(machine.pongReceived([1]) == (waiter: 1, queueEvent: true))
        }

        @Test func readerParksWakesAndTakesInOrder() {
            var machine = openMachine()
            let (take, _) = machine.take()
            guard case .wait(let id) = take else { Issue.record("nothing to take"); return }
            #expect(machine.park("reader", id: id, cancelled: false) == false)
            let (woken, pause) = machine.receive(.message(.text("one")))
            #expect(woken == "reader" && !pause)
            _ = machine.receive(.message(.text("two")))
            guard case .event(.message(.text("one"))) = machine.take().0 else { Issue.record("order"); return }
            guard case .event(.message(.text("two"))) = machine.take().0 else { Issue.record("order"); return }
        }

        @Test func parkIsRefusedWhenItNeedNotWait() {
            var machine = openMachine()
            guard case .wait(let stale) = machine.take().0 else { return }
            guard case .wait(let id) = machine.take().0 else { return }
            #expect(machine.park("a", id: stale, cancelled: false) == true)  // an older id: look again
            #expect(machine.park("b", id: id, cancelled: true) == true)  // cancelled
            _ = machine.receive(.pong([]))
            #expect(machine.park("c", id: id, cancelled: false) == true)  // an event is waiting
        }

        @Test func cancelledReaderIsUnparkedOnlyUnderItsOwnID() {
            var machine = openMachine()
            guard case .wait(let id) = machine.take().0 else { return }
            _ = machine.park("reader", id: id, cancelled: false)
            #expect(machine.unpark(id: id + 1) == nil)
            #expect(machine.unpark(id: id) == "reader")
            #expect(machine.unpark(id: id) == nil)
        }

        @Test func inboundOverflowPausesAndDrainingResumes() {
            var machine = openMachine(maxInbound: InboundEvent.overhead)
            #expect(machine.receive(.message(.binary([1]))).pauseReading)
            let (_, resume) = machine.take()
            #expect(resume)
            machine.readingResumed()
            #expect(!machine.inbound.readPaused)
        }

        @Test func endHandsBackEveryWaiterAndKeepsReceivedMessages() {
            var machine = openMachine(maxBackpressure: 0)
            _ = machine.send(.text("queued"))
            _ = machine.sendOrWait(.text("waiting"), id: machine.makeSenderID(), waiter: 1)
            _ = machine.ping([], waiter: 2)
            #expect(machine.awaitEnd("closer") == nil)
            _ = machine.receive(.message(.text("arrived")))
            machine.peerClosed(CloseFrame(code: .goingAway, reason: ""))
            let end = machine.end(closeFrameSent: false)
            #expect(end.result.code == .goingAway && end.result.undeliveredMessages == 2)
            #expect(end.senders == [1] && end.pingers == [2] && end.closers == ["closer"])
            #expect(machine.awaitEnd("late") == end.result)
            // A message that arrived before the end is still read, then the end.
            guard case .event(.message(.text("arrived"))) = machine.take().0 else { Issue.record("message lost"); return }
            guard case .end = machine.take().0 else { Issue.record("no end"); return }
        }

        @Test func failureClosesAtOnceAndForcesReadingBackOn() {
            var machine = openMachine(maxInbound: 0)
            _ = machine.receive(.message(.text("x")))
            machine.fail(.invalidUTF8, frame: CloseFrame(code: .invalidFramePayloadData, reason: "invalid UTF-8"))
            #expect(machine.closeFrameSending() == true)
            #expect(machine.lifecycle.failure == .invalidUTF8)
            #expect(machine.end(closeFrameSent: true).result.code == .invalidFramePayloadData)
        }
    }
}
