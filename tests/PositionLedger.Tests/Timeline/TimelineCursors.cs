using PositionLedger.Timeline;

namespace PositionLedger.Tests.Timeline;

/// <summary>The timeline's "next" cursor; no database.</summary>
public sealed class when_a_timeline_cursor_is_read_back
{
    [Fact]
    public void it_round_trips_knownAt_and_the_position()
    {
        var cursor = new TimelineCursor(
            new DateTimeOffset(2025, 3, 13, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), 123_456_789);

        var text = cursor.ToString();

        text.ShouldNotContain("=");
        text.ShouldNotContain("+");
        text.ShouldNotContain("/");
        TimelineCursor.Parse(text).ShouldBe(cursor);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor!")]
    [InlineData("MTIz")]
    [InlineData("YXxifGM")]
    [InlineData("OTk5OTk5OTk5OTk5OTk5OTk5OTl8MXwx")]
    public void garbage_is_refused(string text)
    {
        TimelineCursor.Parse(text).ShouldBeNull();
    }
}
