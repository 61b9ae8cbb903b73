namespace MLNetDistill.Numerics;

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

    /// <summary>
    /// A stateless 32-bit hash of a 64-bit key and a counter (two rounds of Wellons' lowbias32 finaliser), for draws that
    /// must not depend on thread order; the vector overload computes the same 16 at a time.
    /// </summary>
    /// <param name="key">The key (seed, step and layer mixed).</param>
    /// <param name="counter">The element index.</param>
    /// <returns>32 random bits.</returns>
    public static uint Hash(ulong key, uint counter)
    {
        uint h = (counter * 0x9E3779B9u) + (uint)key;
        h = LowBias(h) ^ (uint)(key >> 32);
        return LowBias(h);
    }

    /// <summary>Sixteen <see cref="Hash(ulong, uint)"/> values at once, for counters <paramref name="counters"/>.</summary>
    /// <param name="counters">The element indices.</param>
    /// <param name="keyLow">The key's low 32 bits.</param>
    /// <param name="keyHigh">The key's high 32 bits.</param>
    /// <returns>32 random bits per lane.</returns>
    public static System.Runtime.Intrinsics.Vector512<uint> Hash(System.Runtime.Intrinsics.Vector512<uint> counters, uint keyLow, uint keyHigh)
    {
        var h = (counters * 0x9E3779B9u) + System.Runtime.Intrinsics.Vector512.Create(keyLow);
        h = LowBias(h) ^ System.Runtime.Intrinsics.Vector512.Create(keyHigh);
        return LowBias(h);
    }

    private static uint LowBias(uint h)
    {
        h ^= h >> 16;
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        return h ^ (h >> 16);
    }

    private static System.Runtime.Intrinsics.Vector512<uint> LowBias(System.Runtime.Intrinsics.Vector512<uint> h)
    {
        h ^= System.Runtime.Intrinsics.Vector512.ShiftRightLogical(h, 16);
        h *= 0x7FEB352Du;
        h ^= System.Runtime.Intrinsics.Vector512.ShiftRightLogical(h, 15);
        h *= 0x846CA68Bu;
        return h ^ System.Runtime.Intrinsics.Vector512.ShiftRightLogical(h, 16);
    }

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
