namespace MLNetDistill.Tests.Cli;

/// <summary>Tests that swap the process-wide console run one at a time.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection
{
}
