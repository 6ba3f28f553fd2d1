using JasperFx.Events;
using PositionLedger.Revisions;
using PositionLedger.Statements;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Revisions;

/// <summary>How a page of events becomes revision rows and closings (<see cref="StatementRevisionsProjection.Page"/>).</summary>
public sealed class when_a_page_of_events_is_projected
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 13, 0, 0, 0, TimeSpan.Zero);

    private static IEvent Recorded<T>(T data, long version, long sequence) where T : notnull =>
        new Event<T>(data) { Version = version, Sequence = sequence, Timestamp = T0.AddMinutes(sequence) };

    [Fact]
    public void a_statement_corrected_in_the_same_page_gets_two_rows_the_first_closed_by_the_second()
    {
        var id = Guid.NewGuid();
        var stated = Stated(id, "russia", "ceasefire", Stance.Conditional, "2025-03-13");
        var page = new StatementRevisionsProjection.Page();

        page.Open(id, Recorded(stated, 1, 10), stated.Content, statementSeq: 10);
        var first = page.Close(id, Recorded(new StatementRetracted(id, "x"), 2, 11));
        page.Open(id, Recorded(stated, 2, 11), stated.Content, statementSeq: first);

        first.ShouldBe(10);
        page.Closings.ShouldBeEmpty();
        page.Rows.Count.ShouldBe(2);
        page.Rows[0].RecordedTo.ShouldBe(T0.AddMinutes(11));
        page.Rows[0].RecordedToSeq.ShouldBe(11);
        page.Rows[1].StatementSeq.ShouldBe(10);
        page.Rows[1].Version.ShouldBe(2);
        page.Rows[1].RecordedTo.ShouldBeNull();
    }

    [Fact]
    public void a_statement_from_an_earlier_page_is_closed_by_a_closing_and_its_first_sequence_is_left_to_the_database()
    {
        var id = Guid.NewGuid();
        var page = new StatementRevisionsProjection.Page();

        var first = page.Close(id, Recorded(new StatementRetracted(id, "x"), 3, 42));

        first.ShouldBeNull();
        page.Rows.ShouldBeEmpty();
        page.Closings.ShouldHaveSingleItem().ShouldBe(new StatementRevisionsProjection.Closing(id, T0.AddMinutes(42), 42));
    }
}
