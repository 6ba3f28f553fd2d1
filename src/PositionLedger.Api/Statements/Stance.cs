namespace PositionLedger.Statements;

/// <summary>The closed vocabulary of stances, in chart order.</summary>
public enum Stance
{
    Proposes,
    Supports,
    Accepts,
    Conditional,
    Noncommittal,
    Opposes,
    Rejects,
    Withdraws,
}

public static class StanceWords
{
    public static readonly IReadOnlyDictionary<string, Stance> ByWord =
        Enum.GetValues<Stance>().ToDictionary(Word, s => s, StringComparer.Ordinal);

    public static string Word(this Stance stance) => stance.ToString().ToLowerInvariant();

    /// <summary>The sign class of the analysis rules: positive, neutral, negative, or none (withdraws).</summary>
    public static string SignClass(this Stance stance) => stance switch
    {
        Stance.Proposes or Stance.Supports or Stance.Accepts or Stance.Conditional => "positive",
        Stance.Noncommittal => "neutral",
        Stance.Opposes or Stance.Rejects => "negative",
        _ => "none",
    };

    /// <summary>Score for charts: +2 for the positive stances, down to -2; withdraws has none.</summary>
    public static int? Score(this Stance stance) => stance switch
    {
        Stance.Proposes or Stance.Supports or Stance.Accepts => 2,
        Stance.Conditional => 1,
        Stance.Noncommittal => 0,
        Stance.Opposes => -1,
        Stance.Rejects => -2,
        _ => null,
    };
}

/// <summary>What became of a claim (analysis rule 6): the claimed party's next own statement bore it out or not.</summary>
public static class ClaimResolutions
{
    public const string BorneOut = "borne-out";
    public const string Contradicted = "contradicted";
    public const string Open = "open";

    /// <summary>Rule 6: a claim against the statement that resolves it (none: open).</summary>
    public static string Of(Stance claimed, Stance? resolvedAs) =>
        resolvedAs is not { } actual ? Open : actual.SignClass() == claimed.SignClass() ? BorneOut : Contradicted;
}
