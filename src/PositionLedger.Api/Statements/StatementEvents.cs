using PositionLedger.Sources;

namespace PositionLedger.Statements;

/// <summary>Where a statement was reported.</summary>
public sealed record Source(string Outlet, string? Url, DateTimeOffset? PublishedAt);

/// <summary>Who made a claim about another party's stance.</summary>
public sealed record ClaimedBy(string Party, string Speaker);

/// <summary>
/// Everything a statement says. <see cref="StatedAt"/> is valid time (when it was said in the world);
/// <see cref="StatedOnDate"/> marks a statement dated only to the day, shown with day precision.
/// <see cref="Evidence"/>: where in which archived sources it stands, and of what kind (none: unanchored).
/// </summary>
public sealed record StatementContent(
    string Party,
    string Issue,
    Stance Stance,
    string Speaker,
    string Quote,
    DateTimeOffset StatedAt,
    bool StatedOnDate,
    Source Source,
    string[] Conditions,
    ClaimedBy? ClaimedBy,
    Evidence? Evidence = null)
{
    public bool IsClaim => ClaimedBy is not null;

    public string EvidenceKind => EvidenceKinds.Of(Evidence);
}

// Events are past-tense facts. Record time is never carried here: it is Marten's own metadata.

public sealed record PositionStated(Guid StatementId, StatementContent Content);

/// <summary>
/// Carries the whole corrected content as well as the names of the fields that changed, so that every
/// reader (projections, the exported log, the live feed) knows the effective content without a fold.
/// </summary>
public sealed record StatementCorrected(Guid StatementId, StatementContent Corrected, string[] ChangedFields, string Reason);

public sealed record StatementRetracted(Guid StatementId, string Reason);
