namespace PositionLedger.Stances;

/// <summary>A party's stance on one issue: its basis statement (none when withdrawn) and the open claims.</summary>
public sealed record IssueStance(
    string Issue,
    string? Stance,
    string[] Conditions,
    string? StatedAt,
    string? StatementId,
    string? Speaker,
    IReadOnlyList<ClaimView> Claims,
    string? EvidenceKind = null,
    string? Quote = null);
