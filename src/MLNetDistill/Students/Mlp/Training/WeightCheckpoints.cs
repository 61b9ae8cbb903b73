using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp.Training;

/// <summary>Copies of a run's weights to go back to: the best validation epoch's, and the last epoch that ended well.</summary>
internal sealed class WeightCheckpoints
{
    private readonly ParameterStore _store;
    private readonly float[] _best;
    private readonly float[] _lastGood;

    /// <summary>Allocates both copies.</summary>
    /// <param name="store">The parameters being trained.</param>
    public WeightCheckpoints(ParameterStore store)
    {
        _store = store;
        _best = new float[store.Length];
        _lastGood = new float[store.Length];
    }

    /// <summary>Gets the epoch of the last good copy (0 for the initial weights).</summary>
    public int LastGoodEpoch { get; private set; }

    /// <summary>Keeps the initial weights as both the best and the last good ones.</summary>
    public void SaveInitial()
    {
        Array.Copy(_store.Values, _lastGood, _store.Length);
        Array.Copy(_store.Values, _best, _store.Length);
    }

    /// <summary>Keeps the current weights as the best.</summary>
    public void SaveBest() => Array.Copy(_store.Values, _best, _store.Length);

    /// <summary>Keeps the current weights as the last good ones.</summary>
    /// <param name="epoch">The epoch that produced them.</param>
    public void SaveLastGood(int epoch)
    {
        Array.Copy(_store.Values, _lastGood, _store.Length);
        LastGoodEpoch = epoch;
    }

    /// <summary>Puts the best weights back.</summary>
    public void RestoreBest() => Array.Copy(_best, _store.Values, _store.Length);

    /// <summary>Puts the last good weights back.</summary>
    public void RestoreLastGood() => Array.Copy(_lastGood, _store.Values, _store.Length);
}
