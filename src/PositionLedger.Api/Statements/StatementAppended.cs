namespace PositionLedger.Statements;

/// <summary>The answer to a write: the statement and the version it is now at.</summary>
public sealed record StatementAppended(string Id, long Version);
