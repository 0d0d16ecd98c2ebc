// A binary min-heap ordered by a numeric key read from each item (the simulations' event queues).

export class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly key: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    const k = this.key(item);
    let i = a.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.key(a[parent]!) <= k) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      const k = this.key(last);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1 < a.length && this.key(a[l + 1]!) < this.key(a[l]!) ? l + 1 : l;
        if (this.key(a[r]!) >= k) break;
        a[i] = a[r]!;
        i = r;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * A min-heap of plain numbers in a growable Float64Array: the disaggregated simulation's event
 * times, where a key function per comparison and boxed array slots cost more than the heap work.
 */
export class NumberMinHeap {
  private items: Float64Array;
  private length = 0;

  constructor(capacity = 16) {
    this.items = new Float64Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.length;
  }

  push(value: number): void {
    if (this.length === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    const a = this.items;
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }

  /** The smallest value, removed; undefined when empty. */
  pop(): number | undefined {
    if (this.length === 0) return undefined;
    const a = this.items;
    const top = a[0]!;
    const last = a[--this.length]!;
    const n = this.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1 < n && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[r]! >= last) break;
      a[i] = a[r]!;
      i = r;
    }
    if (n > 0) a[i] = last;
    return top;
  }
}
