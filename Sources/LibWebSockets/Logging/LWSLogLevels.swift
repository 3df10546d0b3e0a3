import CLibwebsockets

/// lws log levels (`LLL_*`), as a mask.
public struct LWSLogLevels: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    /// - Parameter rawValue: `LLL_*` bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `LLL_ERR`, bridged as `.error`.
    public static let error = LWSLogLevels(rawValue: LLL_ERR)
    /// `LLL_WARN`, bridged as `.warning`.
    public static let warning = LWSLogLevels(rawValue: LLL_WARN)
    /// `LLL_NOTICE`, bridged as `.notice`.
    public static let notice = LWSLogLevels(rawValue: LLL_NOTICE)
    /// `LLL_INFO`, bridged as `.info`.
    public static let info = LWSLogLevels(rawValue: LLL_INFO)
    /// `LLL_DEBUG`, bridged as `.debug`.
    public static let debug = LWSLogLevels(rawValue: LLL_DEBUG)
    /// `LLL_USER`, bridged as `.info`.
    public static let user = LWSLogLevels(rawValue: LLL_USER)

    /// Nothing at all.
    public static let none: LWSLogLevels = []
}
