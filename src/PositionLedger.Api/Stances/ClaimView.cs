using PositionLedger.Statements;

namespace PositionLedger.Stances;

/// <summary>
/// Another party's open claim about a stance. Its resolution as of the answer's moment (rule 6) is always open: a
/// claim shown beside a stance has no own statement of the party after it (rule 3).
/// </summary>
public sealed record ClaimView(
    string StatementId, ClaimedBy ClaimedBy, string Speaker, string Stance, string StatedAt, string EvidenceKind)
{
    public string Resolution => ClaimResolutions.Open;
}
