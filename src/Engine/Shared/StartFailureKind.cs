namespace Builder.Engine;

/// <summary>Why a container did not run its command.</summary>
public enum StartFailureKind
{
    /// <summary>The command is not in PATH or the file does not exist (exit status 127).</summary>
    CommandNotFound,
    /// <summary>The command exists but cannot be executed (exit status 126).</summary>
    CommandNotExecutable,
    /// <summary>USER names a user or group that the rootfs's /etc/passwd or /etc/group lacks.</summary>
    UnknownUser,
    /// <summary>The working directory resolves outside the rootfs or into a kernel filesystem.</summary>
    InvalidWorkingDirectory,
    /// <summary>Setting up the rootfs, mounts or namespaces failed.</summary>
    SetupFailed,
}
