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

    /// The built `libfakenofile.so`.
    let path: String

    /// Writes the source to `directory` and compiles it with `cc`.
    /// - Parameters:
    ///   - directory: where the source and the library go; removing it removes them.
    ///   - timeout: for the compiler.
    /// - Throws: ``FootprintError/buildFailed(_:)``.
    static func build(in directory: ScratchDirectory, timeout: Duration) throws -> FakeNofileLibrary {
        try directory.write(source, to: "fake.c")
        let path = try directory.compile(
            "cc -shared -fPIC -O2 -o libfakenofile.so fake.c -ldl", producing: "libfakenofile.so", timeout: timeout)
        return FakeNofileLibrary(path: path)
    }

    /// `environment` with the library preloaded and the simulated limit set.
    func environment(simulating openMax: Int, from environment: [String]) -> [String] {
        let preload = "LD_PRELOAD="
        let existing = environment.first { $0.hasPrefix(preload) }.map { String($0.dropFirst(preload.count)) }
        let others = environment.filter { !$0.hasPrefix(preload) && !$0.hasPrefix(Self.environmentVariable + "=") }
        let preloaded = [path, existing].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        return others + [preload + preloaded, "\(Self.environmentVariable)=\(openMax)"]
    }
}
