using PositionLedger.Sources;

namespace PositionLedger.Tests.Sources;

/// <summary>Placing Web Annotation anchors in a source's text: no database, just the text and the anchor.</summary>
public sealed class when_an_anchor_is_placed_in_a_source
{
    private const string Text = "Putin said: we agree. Peskov said: we agree, but with conditions.";

    private static Anchor Placed(string text, AnchorInput input)
    {
        var (anchor, problem) = TextAnchors.Place("article", text, input);
        problem.ShouldBeNull();
        return anchor!;
    }

    private static string Refused(string text, AnchorInput input)
    {
        var (anchor, problem) = TextAnchors.Place("article", text, input);
        anchor.ShouldBeNull();
        return problem!;
    }

    [Fact]
    public void a_quote_found_once_gets_its_position_and_context()
    {
        var anchor = Placed(Text, new AnchorInput("article", "with conditions", null, null, null, null));

        anchor.Start.ShouldBe(Text.IndexOf("with conditions", StringComparison.Ordinal));
        anchor.End.ShouldBe(anchor.Start + "with conditions".Length);
        anchor.Prefix.ShouldBe(Text[(anchor.Start - 32)..anchor.Start]);
        anchor.Suffix.ShouldBe(".");
    }

    [Fact]
    public void a_quote_found_twice_is_refused_as_ambiguous_and_a_prefix_or_suffix_settles_it()
    {
        Refused(Text, new AnchorInput("article", "we agree", null, null, null, null)).ShouldContain("more than once");

        Placed(Text, new AnchorInput("article", "we agree", "Peskov said: ", null, null, null)).Start
            .ShouldBe(Text.LastIndexOf("we agree", StringComparison.Ordinal));
        Placed(Text, new AnchorInput("article", "we agree", null, ".", null, null)).Start
            .ShouldBe(Text.IndexOf("we agree", StringComparison.Ordinal));
    }

    [Fact]
    public void a_quote_not_in_the_text_is_refused_as_not_found()
    {
        Refused(Text, new AnchorInput("article", "we reject", null, null, null, null)).ShouldContain("not found");
        Refused(Text, new AnchorInput("article", "we agree", "Lavrov said: ", null, null, null)).ShouldContain("not found");
    }

    [Fact]
    public void a_given_position_must_hold_exactly_the_quote()
    {
        var start = Text.IndexOf("Peskov", StringComparison.Ordinal);

        Placed(Text, new AnchorInput("article", "Peskov", null, null, start, start + 6)).Prefix.ShouldBe("Putin said: we agree. ");
        Refused(Text, new AnchorInput("article", "Peskov", null, null, start + 1, start + 7)).ShouldContain("is not 'exact'");
        Refused(Text, new AnchorInput("article", "Peskov", "Lavrov ", null, start, start + 6)).ShouldContain("prefix");
        Refused(Text, new AnchorInput("article", "Peskov", null, null, start, null)).ShouldContain("together");
        Refused(Text, new AnchorInput("article", "x", null, null, 0, 10_000)).ShouldContain("within");
    }

    [Fact]
    public void positions_count_code_points_not_utf16_units()
    {
        // Two characters outside the Basic Multilingual Plane: two code points, four UTF-16 units.
        const string text = "🕊️ 𠀋 Kyiv accepts the ceasefire.";
        var anchor = Placed(text, new AnchorInput("article", "Kyiv accepts", null, null, null, null));

        var runes = text.EnumerateRunes().Select(r => r.ToString()).ToArray();
        string.Concat(runes[anchor.Start..anchor.End]).ShouldBe("Kyiv accepts");
        anchor.Start.ShouldBe(text.IndexOf("Kyiv", StringComparison.Ordinal) - 2);
        Placed(text, new AnchorInput("article", "Kyiv accepts", null, null, anchor.Start, anchor.End)).ShouldBe(anchor);
    }

    [Fact]
    public void line_breaks_are_text_like_any_other_and_context_stops_at_the_ends()
    {
        const string text = "First line.\r\nWe agree\r\nwith conditions.";
        var anchor = Placed(text, new AnchorInput("article", "agree\r\nwith", null, null, null, null));

        anchor.Prefix.ShouldBe("First line.\r\nWe ");
        anchor.Suffix.ShouldBe(" conditions.");
        text.EnumerateRunes().Skip(anchor.Start).Take(anchor.End - anchor.Start).Select(r => r.ToString()).ShouldBe(
            "agree\r\nwith".EnumerateRunes().Select(r => r.ToString()));
    }
}
