using PositionLedger.Infrastructure;
using PositionLedger.Sources;

namespace PositionLedger.Statements;

public static class StatementInputs
{
    /// <summary>Content back in input form; every value round-trips through validation unchanged.</summary>
    public static StateStatement Of(StatementContent c) => new(
        c.Party, c.Issue, c.Stance.Word(), c.Speaker, c.Quote, Instants.Format(c.StatedAt, c.StatedOnDate),
        new SourceInput(c.Source.Outlet, c.Source.Url, c.Source.PublishedAt is { } p ? Instants.Format(p, false) : null),
        c.Conditions,
        c.ClaimedBy is null ? null : new ClaimedByInput(c.ClaimedBy.Party, c.ClaimedBy.Speaker),
        c.Evidence is null ? null : EvidenceInput.Of(c.Evidence));
}
