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
