using PositionLedger.Statements;

namespace PositionLedger.Stances;

/// <summary>Another party's open claim about a stance.</summary>
public sealed record ClaimView(
    string StatementId, ClaimedBy ClaimedBy, string Speaker, string Stance, string StatedAt, string EvidenceKind);
