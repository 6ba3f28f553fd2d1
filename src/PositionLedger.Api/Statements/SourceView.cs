namespace PositionLedger.Statements;

/// <summary>Where a statement was reported, as the API shows it: publishedAt with its own precision.</summary>
public sealed record SourceView(string Outlet, string? Url, string? PublishedAt);
