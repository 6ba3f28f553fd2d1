using PositionLedger.Infrastructure;

namespace PositionLedger.Tests.Statements;

public sealed class when_dates_and_instants_are_read
{
    [Fact]
    public void a_date_is_the_start_of_that_utc_day_and_shown_as_a_date()
    {
        Instants.TryParse("2025-03-13", out var at, out var isDate).ShouldBeTrue();
        at.ShouldBe(new DateTimeOffset(2025, 3, 13, 0, 0, 0, TimeSpan.Zero));
        isDate.ShouldBeTrue();
        Instants.Format(at, isDate).ShouldBe("2025-03-13");
    }

    [Fact]
    public void as_an_upper_bound_a_date_reaches_the_end_of_the_day()
    {
        Instants.TryParseUpperBound("2025-03-13", out var bound).ShouldBeTrue();
        bound.ShouldBe(new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.Zero).AddTicks(-10));
    }

    [Theory]
    [InlineData("2025-03-13T18:30:00Z", "2025-03-13T18:30:00Z")]
    [InlineData("2025-03-13T21:30:00+03:00", "2025-03-13T18:30:00Z")]
    [InlineData("2025-03-13T18:30:00.25-00:00", "2025-03-13T18:30:00.25Z")]
    public void an_instant_needs_an_offset_and_is_shown_in_utc(string text, string shown)
    {
        Instants.TryParse(text, out var at, out var isDate).ShouldBeTrue();
        isDate.ShouldBeFalse();
        Instants.Format(at, isDate).ShouldBe(shown);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2025-03-13T18:30:00")]
    [InlineData("13/03/2025")]
    [InlineData("2025-13-01")]
    [InlineData("March 13, 2025")]
    public void anything_else_is_refused(string text) => Instants.TryParse(text, out _, out _).ShouldBeFalse();
}
