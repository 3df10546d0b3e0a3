import ArgumentParser

/// The four kinds of child process that the tool compares, one run each.
enum RunKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Loads the same binary and does everything a measured child does, except create a context.
    case bare
    /// `LWSContext.builder().build()`: the wrapper's defaults, fd budget ``FDBudget/automatic``.
    case wrapperDefault = "wrapper-default"
    /// `LWSContext.builder().fdBudget(.lwsDefault).build()`: `fd_limit_per_thread = 0`, lws's own
    /// default, which sizes the fd tables by the open-file limit.
    case lwsDefault = "lws-default"
    /// A plain C program using libwebsockets directly with the wrapper's settings and the fd
    /// budget that (b)'s children reported (``PlainCChild``); not this binary.
    case plainC = "plain-c"

    /// The row label in the table.
    var title: String {
        switch self {
        case .bare: "(a) bare: same binary, no context"
        case .wrapperDefault: "(b) wrapper default: `builder().build()`"
        case .lwsDefault: "(c) lws default: `.fdBudget(.lwsDefault)`, fd_limit_per_thread = 0"
        case .plainC: "(d) plain C lws: one context, (b)'s fd_limit_per_thread"
        }
    }
}
