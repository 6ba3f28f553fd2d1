using JasperFx.Events;
using PositionLedger.Statements;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Statements;

/// <summary>The statement aggregate folds its events; no database involved.</summary>
public sealed class when_a_statement_folds_its_events
{
    private static readonly Guid Id = Guid.NewGuid();

    private static IEvent<T> Recorded<T>(T data, long version) where T : notnull =>
        new Event<T>(data)
        {
            StreamKey = Id.ToString(), Version = version, Sequence = 100 + version, Timestamp = DateTimeOffset.UnixEpoch.AddDays(version),
        };

    [Fact]
    public void a_stated_position_starts_the_statement_at_version_1()
    {
        var stated = Stated(Id, "russia", "ceasefire", Stance.Conditional, "2025-03-13");

        var statement = Statement.Create(Recorded(stated, 1));

        statement.Id.ShouldBe(Id.ToString());
        statement.Content.ShouldBe(stated.Content);
        statement.Version.ShouldBe(1);
        statement.Retracted.ShouldBeFalse();
        statement.Revisions.ShouldHaveSingleItem().RecordedAt.ShouldBe(DateTimeOffset.UnixEpoch.AddDays(1));
    }

    [Fact]
    public void a_correction_replaces_the_content_and_keeps_the_history()
    {
        var stated = Stated(Id, "russia", "ceasefire", Stance.Conditional, "2025-03-13");
        var corrected = stated.Content with { Stance = Stance.Rejects };

        var statement = Statement.Create(Recorded(stated, 1))
            .Apply(Recorded(new StatementCorrected(Id, corrected, ["stance"], "misread the transcript"), 2));

        statement.Content.Stance.ShouldBe(Stance.Rejects);
        statement.Version.ShouldBe(2);
        statement.Revisions.Select(r => r.Kind).ShouldBe(["stated", "corrected"]);
        statement.Revisions[1].Reason.ShouldBe("misread the transcript");
        statement.Revisions[1].ChangedFields.ShouldBe(["stance"]);
    }

    [Fact]
    public void a_retraction_marks_it_retracted_and_keeps_the_last_content()
    {
        var stated = Stated(Id, "russia", "ceasefire", Stance.Conditional, "2025-03-13");

        var statement = Statement.Create(Recorded(stated, 1)).Apply(Recorded(new StatementRetracted(Id, "wrong speaker"), 2));

        statement.Retracted.ShouldBeTrue();
        statement.Version.ShouldBe(2);
        statement.Content.ShouldBe(stated.Content);
    }
}
