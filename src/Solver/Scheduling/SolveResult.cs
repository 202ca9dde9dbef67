namespace Builder.Solver.Scheduling;

/// <summary>
/// What a solve produced: the committed snapshot of the target's root filesystem (null for an
/// empty one) and its layer chain, base layer first, as the exporters take it.
/// </summary>
/// <param name="LastNumber">The highest progress number (#N) used, so later steps (exports) continue the sequence.</param>
public sealed record SolveResult(string BuildId, string? TopSnapshot, IReadOnlyList<string> Layers, SolveStatistics Statistics, int LastNumber);

/// <summary>How many vertices ran and how many came from the cache.</summary>
public sealed record SolveStatistics(int Ran, int Cached);
