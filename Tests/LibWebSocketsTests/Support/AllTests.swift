import Testing

/// Every suite nests in this one so the whole run is serial: the memory tests read the
/// process's RSS, and the machine has two cores.
@Suite(.serialized) enum AllTests {}
