// Dawn's busy polling (a core at 100 % while a GPU promise is pending) is backed off by the library itself
// (src/gpu/dawn-polling.ts), so the tests run with Node's own setImmediate, as users' processes do.
process.env.XDG_RUNTIME_DIR ??= '/tmp';
