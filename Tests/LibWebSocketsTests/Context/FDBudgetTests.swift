@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct FDBudgetTests {
        @Test func defaultBudgetFollowsMaxConnections() throws {
            let plan = try FDBudgetPlan.make(budget: .automatic, maxConnections: 1024, listeners: 1, softLimit: 1_048_576, hardLimit: 1_048_576)
            // 1024 connections + 1 listener + 1 wake pipe + max(8, 1024 / 16) refusal headroom
            #expect(plan.fdLimitPerThread == 1024 + 1 + 1 + 64)
            #expect(plan.slots == plan.fdLimitPerThread + 2)
            #expect(plan.estimatedFDTableBytes == plan.slots * 16)
        }

        @Test func smallServersKeepEightSlotsOfHeadroom() throws {
            let plan = try FDBudgetPlan.make(budget: .automatic, maxConnections: 10, listeners: 1, softLimit: 20000, hardLimit: 20000)
            #expect(plan.fdLimitPerThread == 10 + 1 + 1 + 8)
        }

        @Test func busyServersGetTheFullTableWhereItIsSmall() throws {
            // Full table: 20000 x 16 B = 320 KB, and no linear search with 1024 connections.
            let plan = try FDBudgetPlan.make(budget: .automatic, maxConnections: 1024, listeners: 1, softLimit: 20000, hardLimit: 20000)
            #expect(plan.fdLimitPerThread == 20000)
            #expect(plan.slots == 20000)
            #expect(plan.estimatedFDTableBytes == 20000 * 16)
            // At 65537 the full table is over 1 MiB: compact again.
            let large = try FDBudgetPlan.make(budget: .automatic, maxConnections: 1024, listeners: 1, softLimit: 65537, hardLimit: 65537)
            #expect(large.fdLimitPerThread == 1090)
            // Few connections: the compact table's search is cheap, keep it small.
            let few = try FDBudgetPlan.make(budget: .automatic, maxConnections: 128, listeners: 1, softLimit: 20000, hardLimit: 20000)
            #expect(few.fdLimitPerThread == 128 + 1 + 1 + 8)
        }

        @Test func automaticBudgetIsCappedBySoftLimit() throws {
            let plan = try FDBudgetPlan.make(budget: .automatic, maxConnections: 5000, listeners: 1, softLimit: 1024, hardLimit: 20000)
            #expect(plan.fdLimitPerThread == 1024)
            #expect(plan.slots == 1024)  // at max_fds lws uses its full table
            #expect(plan.estimatedFDTableBytes == 1024 * 16)
        }

        @Test func budgetIsNeverZeroUnlessAskedFor() throws {
            for connections in [1, 2, 100, 65536] {
                let plan = try FDBudgetPlan.make(budget: .automatic, maxConnections: connections, listeners: 0, softLimit: 1_048_576, hardLimit: 1_048_576)
                #expect(plan.fdLimitPerThread > 0)
            }
            let lws = try FDBudgetPlan.make(budget: .lwsDefault, maxConnections: 10, listeners: 1, softLimit: 1_048_576, hardLimit: 1_048_576)
            #expect(lws.fdLimitPerThread == 0)
            #expect(lws.estimatedFDTableBytes == 16 << 20)  // the 16 MiB this package exists to avoid
        }

        @Test func lwsIgnoresAbsurdLimits() throws {
            let plan = try FDBudgetPlan.make(budget: .lwsDefault, maxConnections: 10, listeners: 1, softLimit: 20_000_000, hardLimit: 20_000_000)
            #expect(plan.slots == 2560)
        }

        @Test func fixedBudgetOverrides() throws {
            let plan = try FDBudgetPlan.make(budget: .fixed(20), maxConnections: 1024, listeners: 1, softLimit: 20000, hardLimit: 20000)
            #expect(plan.fdLimitPerThread == 20)
            #expect(plan.estimatedFDTableBytes == 22 * 16)
        }

        @Test func fixedBudgetAboveHardLimitThrows() {
            #expect(throws: LWSError.self) {
                try FDBudgetPlan.make(budget: .fixed(30000), maxConnections: 10, listeners: 1, softLimit: 1024, hardLimit: 20000)
            }
        }

        @Test func fixedBudgetWithNoRoomThrows() {
            #expect(throws: LWSError.self) {
                try FDBudgetPlan.make(budget: .fixed(2), maxConnections: 10, listeners: 1, softLimit: 1024, hardLimit: 20000)
            }
        }

        @Test func contextReportsItsBudget() throws {
            let context = try LWSContextBuilder.testServer().echo().maxConnections(100).build()
            defer { try? context.syncShutdown() }
            #expect(context.fdLimitPerThread == 100 + 1 + 1 + 8)
            #expect(context.estimatedFDTableBytes == (context.fdLimitPerThread + 2) * 16)
        }
    }
}
