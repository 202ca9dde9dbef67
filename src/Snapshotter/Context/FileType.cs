namespace Builder.Snapshotter.Context;

/// <summary>The type of a file system entry, as lstat reports it (a symbolic link is never followed).</summary>
public enum FileType
{
    RegularFile,
    Directory,
    SymbolicLink,
    NamedPipe,
    CharacterDevice,
    BlockDevice,
    Socket,
}
