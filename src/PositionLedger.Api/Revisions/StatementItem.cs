using PositionLedger.Statements;

namespace PositionLedger.Revisions;

/// <summary>One revision of a statement as the timeline and search show it: its content and its record time.</summary>
public sealed record StatementItem(
    string StatementId,
    long Version,
    DateTimeOffset RecordedAt,
    string Party,
    string Issue,
    string Stance,
    int? Score,
    string Speaker,
    string Quote,
    string StatedAt,
    SourceView Source,
    string[] Conditions,
    ClaimedBy? ClaimedBy,
    string EvidenceKind);
