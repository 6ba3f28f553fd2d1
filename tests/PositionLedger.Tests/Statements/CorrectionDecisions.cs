using System.Text.Json;
using JasperFx.Events;
using PositionLedger.Statements;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Statements;

/// <summary>The correction's decision, <see cref="CorrectStatementEndpoint.Decide"/>; no database involved.</summary>
public sealed class when_deciding_a_correction
{
    private static readonly Guid Id = Guid.NewGuid();

    private static Statement Current(ClaimedBy? claimedBy = null) => Statement.Create(
        new Event<PositionStated>(Stated(Id, "russia", "ceasefire", Stance.Conditional, "2025-03-13", claimedBy: claimedBy))
        {
            StreamKey = Id.ToString(),
            Version = 1,
        });

    private static CorrectStatement Correction(string? stance = null, string? statedAt = null, string? claimedByJson = null) =>
        new(1, "Misquoted.", null, null, stance, null, null, statedAt, null, null,
            claimedByJson is null ? default : JsonDocument.Parse(claimedByJson).RootElement.Clone());

    [Fact]
    public void it_names_only_the_fields_that_change_and_carries_the_whole_new_content()
    {
        var current = Current();

        var corrected = CorrectStatementEndpoint.Decide(current, Correction(stance: "rejects"));

        corrected.StatementId.ShouldBe(Id);
        corrected.ChangedFields.ShouldBe(["stance"]);
        corrected.Corrected.ShouldBe(current.Content with { Stance = Stance.Rejects }, new ContentComparer());
        corrected.Reason.ShouldBe("Misquoted.");
    }

    [Fact]
    public void the_same_values_change_nothing()
    {
        CorrectStatementEndpoint.Decide(Current(), Correction(stance: "conditional", statedAt: "2025-03-13")).ChangedFields.ShouldBeEmpty();
    }

    [Fact]
    public void a_date_given_as_an_instant_changes_statedAt()
    {
        CorrectStatementEndpoint.Decide(Current(), Correction(statedAt: "2025-03-13T00:00:00Z")).ChangedFields.ShouldBe(["statedAt"]);
    }

    [Fact]
    public void claimedBy_null_turns_a_claim_into_the_partys_own_statement()
    {
        var corrected = CorrectStatementEndpoint.Decide(Current(new ClaimedBy("ukraine", "Claimant")), Correction(claimedByJson: "null"));

        corrected.ChangedFields.ShouldBe(["claimedBy"]);
        corrected.Corrected.ClaimedBy.ShouldBeNull();
    }

    /// <summary>Records compare arrays by reference; content is equal when its values are.</summary>
    private sealed class ContentComparer : IEqualityComparer<StatementContent>
    {
        public bool Equals(StatementContent? x, StatementContent? y) =>
            x is not null && y is not null
            && x with { Conditions = [] } == y with { Conditions = [] } && x.Conditions.SequenceEqual(y.Conditions);

        public int GetHashCode(StatementContent obj) => 0;
    }
}
