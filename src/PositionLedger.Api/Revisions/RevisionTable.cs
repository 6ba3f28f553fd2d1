namespace PositionLedger.Revisions;

/// <summary>The qualified name of the bitemporal revision table, for the queries that read it.</summary>
public sealed record RevisionTable(string QualifiedName);
