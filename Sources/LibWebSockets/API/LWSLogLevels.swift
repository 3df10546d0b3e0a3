/// lws log levels, as a mask.
///
/// The bits are this package's own; the lws layer maps each to its `LLL_*` level (a test checks
/// the mapping).
public struct LWSLogLevels: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    /// - Parameter rawValue: this package's bits, as the static members below define them.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `LLL_ERR`, bridged as `.error`.
    public static let error = LWSLogLevels(rawValue: 1 << 0)
    /// `LLL_WARN`, bridged as `.warning`.
    public static let warning = LWSLogLevels(rawValue: 1 << 1)
    /// `LLL_NOTICE`, bridged as `.notice`.
    public static let notice = LWSLogLevels(rawValue: 1 << 2)
    /// `LLL_INFO`, bridged as `.info`.
    public static let info = LWSLogLevels(rawValue: 1 << 3)
    /// `LLL_DEBUG`, bridged as `.debug`.
    public static let debug = LWSLogLevels(rawValue: 1 << 4)
    /// `LLL_USER`, bridged as `.info`.
    public static let user = LWSLogLevels(rawValue: 1 << 5)

    /// Nothing at all.
    public static let none: LWSLogLevels = []
}
