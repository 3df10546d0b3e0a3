import Foundation

/// Certificates made at test time with the openssl CLI, in a fresh temporary folder: a CA, a
/// leaf for localhost and 127.0.0.1 signed by it, a leaf for another host and an expired leaf
/// signed by it, a client certificate (CN "client") signed by it, and a self-signed leaf for
/// localhost. Nothing is committed; the folder is removed on `deinit`.
final class TestCertificates: Sendable {
    let folder: String

    var caPath: String { folder + "/ca.pem" }
    var localhostChain: String { folder + "/localhost.pem" }
    var localhostKey: String { folder + "/localhost.key" }
    var otherHostChain: String { folder + "/other.pem" }
    var otherHostKey: String { folder + "/other.key" }
    var expiredChain: String { folder + "/expired.pem" }
    var expiredKey: String { folder + "/expired.key" }
    var clientChain: String { folder + "/client.pem" }
    var clientKey: String { folder + "/client.key" }
    var selfSignedChain: String { folder + "/self.pem" }
    var selfSignedKey: String { folder + "/self.key" }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    init() throws {
        folder = NSTemporaryDirectory() + "lws-certs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=lws test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try leaf("localhost", san: "DNS:localhost,IP:127.0.0.1")
        try leaf("other", san: "DNS:other.example")
        try leaf("expired", san: "DNS:localhost,IP:127.0.0.1", days: -1)  // expired yesterday
        try leaf("client", san: "DNS:client.example", usage: "clientAuth")
        try run(["req", "-x509"] + ec + ["-keyout", "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A folder `share` beside a folder `work`, with the CA in OpenSSL's hashed-folder form: the
    /// layout Debian's lws (`LWS_OPENSSL_CLIENT_CERTS "../share"`) would trust from `work`.
    /// - Returns: the `work` folder.
    func hashedCAFolderBesideWorkFolder() throws -> String {
        try FileManager.default.createDirectory(atPath: folder + "/share", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/work", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: caPath, toPath: folder + "/share/ca.pem")
        try run(["rehash", "share"])
        return folder + "/work"
    }

    private func leaf(_ name: String, san: String, days: Int = 2, usage: String = "serverAuth") throws {
        try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"])
        try "subjectAltName=\(san)\nextendedKeyUsage=\(usage)\n".write(
            toFile: folder + "/\(name).ext", atomically: true, encoding: .utf8)
        try run(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "\(name).pem", "-days", "\(days)", "-extfile", "\(name).ext"])
    }

    /// Runs `openssl s_client` against 127.0.0.1:`port` with `arguments` and returns what it
    /// printed (it exits after the handshake: its input is empty).
    func sClient(port: Int, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", caPath] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output
    }

    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments, output: output) }
    }
}
