namespace PositionLedger.Tests.Infrastructure;

public static class Repository
{
    /// <summary>The checkout's root, found from the test binaries by the solution file.</summary>
    public static string Root { get; } = FindRoot();

    public static string Seeds => Path.Combine(Root, "seeds");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PositionLedger.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("PositionLedger.sln not found above " + AppContext.BaseDirectory);
    }
}
