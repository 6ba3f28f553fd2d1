namespace PositionLedger.Revisions;

/// <summary>The qualified names of the bitemporal revision table and of its claim resolutions, for the queries that read them.</summary>
public sealed record RevisionTable(string QualifiedName, string ResolvedClaims);
