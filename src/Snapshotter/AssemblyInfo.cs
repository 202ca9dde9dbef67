// The snapshotter is Linux-only: overlayfs, openat2, xattrs and mount are Linux interfaces.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
