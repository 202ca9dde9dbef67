using System.Runtime.CompilerServices;

// ContextWalker.DirectoryListed lets the tests prove that pruned directories are never read.
[assembly: InternalsVisibleTo("Builder.Snapshotter.Tests")]
