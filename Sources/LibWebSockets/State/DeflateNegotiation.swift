/// Which of a client's permessage-deflate offers lws 4.1.6 can honour, read from its
/// `Sec-WebSocket-Extensions` header.
///
/// lws walks the header's offers in order and asks (`CONFIRM_EXTENSION_OKAY`) about each one
/// named permessage-deflate until one is accepted; it then echoes that offer's value-less
/// parameters, and ignores parameters it does not know. So an offer is honoured only when every
/// parameter is one of RFC 7692's four and none repeats. `server_max_window_bits` (9 to 15) is
/// honoured by this package, not by lws: it answers the parameter and keeps lws's compressor to
/// that window (``WebSocketCompression``). 8 is declined: zlib cannot compress with an 8-bit raw
/// window (it uses 9), which the client could not read.
struct DeflateNegotiation: Equatable {
    /// One permessage-deflate offer, in header order.
    struct Offer: Equatable {
        /// Whether lws can honour it.
        var acceptable: Bool
        /// Why not, for the log.
        var declineReason: String?
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        /// The window the client allows the server's compressor, when it asked (9 to 15).
        var serverMaxWindowBits: Int?
        /// `client_max_window_bits=N`: in an offer, the most the client will use; in a
        /// server's answer, the most it may use. `nil` without a value.
        var clientMaxWindowBits: Int?
    }

    static let extensionName = "permessage-deflate"

    /// The permessage-deflate offers, in the order lws asks about them.
    let offers: [Offer]

    /// Parses a `Sec-WebSocket-Extensions` value (all of the request's lines joined by commas).
    init(header: String) {
        var offers: [Offer] = []
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";", omittingEmptySubsequences: false)
                .map { $0.trimmingWhitespace() }
            guard parts.first == Self.extensionName else { continue }
            offers.append(Self.offer(parameters: parts.dropFirst()))
        }
        self.offers = offers
    }

    /// The answer to lws's `index`-th question (0-based) on this request: the offer to accept,
    /// or `nil` to decline that one.
    func answer(question index: Int) -> Offer? {
        guard offers.indices.contains(index), offers[index].acceptable else { return nil }
        return offers[index]
    }

    private static func offer(parameters: ArraySlice<String>) -> Offer {
        var offer = Offer(acceptable: true)
        var seen = Set<String>()
        func decline(_ reason: String) -> Offer {
            Offer(acceptable: false, declineReason: reason)
        }
        for parameter in parameters where !parameter.isEmpty {
            let name = parameter.split(separator: "=", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
            guard seen.insert(name).inserted else { return decline("parameter \(name) repeats") }
            switch name {
            case "server_no_context_takeover": offer.serverNoContextTakeover = true
            case "client_no_context_takeover": offer.clientNoContextTakeover = true
            case "client_max_window_bits":  // lws inflates any window up to 15 bits
                offer.clientMaxWindowBits = parameter.split(separator: "=", maxSplits: 1).dropFirst().first
                    .flatMap { Int($0.trimmingWhitespace().trimmingQuotes()) }
            case "server_max_window_bits":
                let value = parameter.split(separator: "=", maxSplits: 1).dropFirst().first
                    .map { $0.trimmingWhitespace().trimmingQuotes() }
                guard let value, let bits = Int(value), (9 ... 15).contains(bits) else {
                    return decline("server_max_window_bits must be 9 to 15 here, got \(value ?? "no value")")
                }
                offer.serverMaxWindowBits = bits
            default: return decline("unknown parameter \(name)")
            }
        }
        return offer
    }
}

extension StringProtocol {
    /// The text without one pair of surrounding double quotes (a quoted-string parameter value).
    func trimmingQuotes() -> String {
        guard count >= 2, first == "\"", last == "\"" else { return String(self) }
        return String(dropFirst().dropLast())
    }

    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start ... end])
    }
}
