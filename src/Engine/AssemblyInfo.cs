// The engine is Linux-only: namespaces, cgroups, mount(2).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
