namespace Builder.Engine.Wire;

using Builder.Engine;

/// <summary>
/// Lines the init helper writes on fd 3 (the status pipe) for the engine: at most one
/// "fail KIND message" when the container could not start, then "exit N" or "signal N" for the
/// command; "stub PATH" lines name mount points created in the rootfs, removed after the run.
/// Plain text so that the post-fork child can write a pre-encoded line without allocating.
/// </summary>
internal static class StatusProtocol
{
    public const int StatusFd = 3;
    /// <summary>Read end of the lifeline pipe: when the engine closes the write end (cancel) or dies, the container is killed.</summary>
    public const int LifelineFd = 4;
    /// <summary>A memfd holding the <see cref="InitConfig"/> JSON: no file on disk to write, read back and delete.</summary>
    public const int ConfigFd = 5;

    public const string Fail = "fail", Exit = "exit", Signal = "signal", Stub = "stub";

    public static string FailLine(StartFailureKind kind, string message) => $"{Fail} {kind} {message.Replace('\n', ' ')}\n";
}
