#if canImport(Glibc)
import Glibc
#endif

/// A tiny LD_PRELOAD library, built at run time, that makes `sysconf(_SC_OPEN_MAX)` return the
/// value of ``environmentVariable``: lws and this package size everything by `sysconf`, so the
/// children see a large open-file limit that the machine's hard limit would not allow.
struct FakeNofileLibrary {
    /// Read by the library on every `sysconf(_SC_OPEN_MAX)`.
    static let environmentVariable = "LWS_FOOTPRINT_OPEN_MAX"

    /// The whole C source. Every other `sysconf` name goes to the real one.
    static let source = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <stdlib.h>
        #include <unistd.h>

        typedef long (*sysconf_fn)(int);

        long sysconf(int name) {
            static sysconf_fn real;
            if (name == _SC_OPEN_MAX) {
                const char *value = getenv("\(environmentVariable)");
                if (value != NULL && *value != '\\0') {
                    char *end = NULL;
                    long n = strtol(value, &end, 10);
                    if (*end == '\\0' && n > 0)
                        return n;
                }
            }
            sysconf_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
            if (fn == NULL) {
                fn = (sysconf_fn)dlsym(RTLD_NEXT, "sysconf");
                if (fn == NULL)
                    return -1;
                __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
            }
            return fn(name);
        }

        """

    /// The temporary directory holding the source and the library.
    let directory: String
    /// The built `libfakenofile.so`.
    var path: String { directory + "/libfakenofile.so" }

    /// Writes the source to a new temporary directory and compiles it with `cc`.
    /// - Parameter timeout: for the compiler.
    /// - Throws: ``FootprintError/buildFailed(_:)``.
    static func build(timeout: Duration) throws -> FakeNofileLibrary {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/lws-footprint.XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw FootprintError.buildFailed("mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        let library = FakeNofileLibrary(directory: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        do {
            try library.writeSource()
            let command = "cd \(shellQuoted(library.directory)) && cc -shared -fPIC -O2 -o libfakenofile.so fake.c -ldl"
            let compiler = try ChildProcess.spawn(
                path: "/bin/sh", arguments: ["sh", "-c", command], environment: ChildProcess.inheritedEnvironment(), pipes: false)
            guard compiler.waitForExit(until: .now + timeout) else {
                compiler.terminate()
                throw FootprintError.buildFailed("cc took longer than \(timeout)")
            }
            guard compiler.exitedCleanly, access(library.path, R_OK) == 0 else {
                throw FootprintError.buildFailed("`\(command)` \(compiler.exitDescription)")
            }
            return library
        } catch {
            library.remove()
            throw error
        }
    }

    private func writeSource() throws {
        guard let file = fopen(directory + "/fake.c", "w") else {
            throw FootprintError.buildFailed("cannot write \(directory)/fake.c: \(String(cString: strerror(errno)))")
        }
        let written = fputs(Self.source, file)
        guard fclose(file) == 0, written >= 0 else { throw FootprintError.buildFailed("cannot write \(directory)/fake.c") }
    }

    /// Deletes the source, the library and the directory.
    func remove() {
        for name in ["fake.c", "libfakenofile.so"] { unlink(directory + "/" + name) }
        rmdir(directory)
    }

    /// `environment` with the library preloaded and the simulated limit set.
    func environment(simulating openMax: Int, from environment: [String]) -> [String] {
        let preload = "LD_PRELOAD="
        let existing = environment.first { $0.hasPrefix(preload) }.map { String($0.dropFirst(preload.count)) }
        let others = environment.filter { !$0.hasPrefix(preload) && !$0.hasPrefix(Self.environmentVariable + "=") }
        let preloaded = [path, existing].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        return others + [preload + preloaded, "\(Self.environmentVariable)=\(openMax)"]
    }

    private static func shellQuoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }
}
