namespace MLNetDistill.Students.Mlp;

/// <summary>
/// A small seeded generator (SplitMix64, Steele, Lea and Flood 2014) whose sequence is fixed by this code alone, so a
/// seed gives the same model on every runtime and machine; plus a stateless hash for counter-based draws (dropout).
/// </summary>
internal struct DeterministicRandom
{
    private ulong _state;

    /// <summary>Starts the sequence for <paramref name="seed"/> and <paramref name="stream"/> (independent streams from one seed).</summary>
    /// <param name="seed">The user's seed.</param>
    /// <param name="stream">Which stream: initialisation, shuffling, validation split, ...</param>
    public DeterministicRandom(int seed, ulong stream = 0)
    {
        _state = Mix(((ulong)(uint)seed << 32) ^ (stream * 0x9E3779B97F4A7C15UL) ^ 0x5DEECE66DUL);
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>The bits.</returns>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A float uniform on [0, 1), with 24 random bits.</summary>
    /// <returns>The value.</returns>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A float uniform on [-bound, bound).</summary>
    /// <param name="bound">The half-width.</param>
    /// <returns>The value.</returns>
    public float NextSymmetric(float bound) => ((2f * NextSingle()) - 1f) * bound;

    /// <summary>An integer uniform on [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    /// <param name="exclusiveMax">The bound, positive.</param>
    /// <returns>The value.</returns>
    public int NextInt(int exclusiveMax)
    {
        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 product = (UInt128)r * bound;
            if ((ulong)product >= threshold)
            {
                return (int)(product >> 64);
            }
        }
    }

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher-Yates).</summary>
    /// <param name="values">The values.</param>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>A stateless 32-bit hash of a key and a counter, for draws that must not depend on thread order.</summary>
    /// <param name="key">The key (seed, step and layer mixed).</param>
    /// <param name="counter">The element index.</param>
    /// <returns>32 random bits.</returns>
    public static uint Hash(ulong key, ulong counter) => (uint)(Mix(key + (counter * 0x9E3779B97F4A7C15UL)) >> 32);

    /// <summary>The SplitMix64 finaliser.</summary>
    /// <param name="z">The input.</param>
    /// <returns>The mixed bits.</returns>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
