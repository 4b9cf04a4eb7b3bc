/**
 * The retail demo database: ten tables of a business selling online and in stores, 2023-2025,
 * generated inside DuckDB with keys, foreign keys and documented columns.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DemoGenerationResult {
  path: string;
  scale: number;
  /** Row count per table in schema `main`. */
  tables: Record<string, number>;
  elapsedMs: number;
}

export interface DemoGenerationOptions {
  /** 1 gives about 1,000,000 order items; fractions are fine (0.01 gives about 10,000). */
  scale?: number;
  onProgress?: (step: string) => void;
}

/** Row targets of the tables that grow with the scale; the other tables are fixed lists. */
interface DemoSizes {
  orders: number;
  customers: number;
  products: number;
  /** Products launched before 2023 (ids 1..coreProducts); the rest launch during the sales window. */
  coreProducts: number;
  stores: number;
}

function demoSizes(scale: number): DemoSizes {
  const scaled = (perUnit: number, minimum: number) => Math.max(minimum, Math.round(perUnit * scale));
  const products = scaled(2000, 100);
  return {
    orders: scaled(400_000, 200),
    customers: scaled(50_000, 100),
    products,
    coreProducts: Math.ceil(products * 0.75),
    stores: scaled(200, 12),
  };
}

/** Staging data lives in an attached in-memory database so every loading connection can read it. */
const STAGE = 'demo_stage';

const FIRST_DAY = '2023-01-01';
const LAST_DAY = '2025-12-31';
const BLACK_FRIDAYS = ['2023-11-24', '2024-11-29', '2025-11-28'];

const REGIONS = [
  { id: 1, name: 'North America', customerShare: 0.55, storeShare: 0.45, onlineCity: 'Seattle', onlineCountry: 'United States' },
  { id: 2, name: 'Europe', customerShare: 0.25, storeShare: 0.3, onlineCity: 'Amsterdam', onlineCountry: 'Netherlands' },
  { id: 3, name: 'APAC', customerShare: 0.12, storeShare: 0.15, onlineCity: 'Singapore', onlineCountry: 'Singapore' },
  { id: 4, name: 'LATAM', customerShare: 0.08, storeShare: 0.1, onlineCity: 'São Paulo', onlineCountry: 'Brazil' },
] as const;

const STORE_CITIES: ReadonlyArray<readonly [region: number, city: string, country: string]> = [
  [1, 'New York', 'United States'], [1, 'Los Angeles', 'United States'], [1, 'Chicago', 'United States'],
  [1, 'Houston', 'United States'], [1, 'Dallas', 'United States'], [1, 'Phoenix', 'United States'],
  [1, 'Atlanta', 'United States'], [1, 'Miami', 'United States'], [1, 'Seattle', 'United States'],
  [1, 'Boston', 'United States'], [1, 'Denver', 'United States'], [1, 'San Francisco', 'United States'],
  [1, 'Toronto', 'Canada'], [1, 'Vancouver', 'Canada'], [1, 'Montreal', 'Canada'],
  [2, 'London', 'United Kingdom'], [2, 'Manchester', 'United Kingdom'], [2, 'Paris', 'France'],
  [2, 'Lyon', 'France'], [2, 'Berlin', 'Germany'], [2, 'Munich', 'Germany'], [2, 'Hamburg', 'Germany'],
  [2, 'Madrid', 'Spain'], [2, 'Barcelona', 'Spain'], [2, 'Milan', 'Italy'], [2, 'Rome', 'Italy'],
  [2, 'Amsterdam', 'Netherlands'], [2, 'Stockholm', 'Sweden'],
  [3, 'Tokyo', 'Japan'], [3, 'Osaka', 'Japan'], [3, 'Sydney', 'Australia'], [3, 'Melbourne', 'Australia'],
  [3, 'Seoul', 'South Korea'], [3, 'Singapore', 'Singapore'], [3, 'Mumbai', 'India'], [3, 'Bangalore', 'India'],
  [4, 'São Paulo', 'Brazil'], [4, 'Rio de Janeiro', 'Brazil'], [4, 'Mexico City', 'Mexico'],
  [4, 'Guadalajara', 'Mexico'], [4, 'Monterrey', 'Mexico'], [4, 'Buenos Aires', 'Argentina'],
  [4, 'Santiago', 'Chile'], [4, 'Bogotá', 'Colombia'],
];

const STORE_SUFFIXES = ['Downtown', 'Central', 'Mall', 'Plaza', 'Riverside', 'Uptown', 'Outlet', 'Harbor', 'Park', 'Station', 'Airport', 'Galleria'];

const CUSTOMER_COUNTRIES: Record<number, Weighted> = {
  1: [['United States', 88], ['Canada', 12]],
  2: [['United Kingdom', 24], ['Germany', 24], ['France', 20], ['Spain', 10], ['Italy', 10], ['Netherlands', 7], ['Sweden', 5]],
  3: [['Japan', 30], ['Australia', 25], ['India', 20], ['South Korea', 15], ['Singapore', 10]],
  4: [['Brazil', 40], ['Mexico', 35], ['Argentina', 10], ['Chile', 8], ['Colombia', 7]],
};

// Weights are populations in hundreds of thousands, so big states get proportionally more customers.
const US_STATES: Weighted = [
  ['California', 390], ['Texas', 300], ['Florida', 222], ['New York', 196], ['Pennsylvania', 130], ['Illinois', 125],
  ['Ohio', 118], ['Georgia', 110], ['North Carolina', 108], ['Michigan', 100], ['New Jersey', 93], ['Virginia', 87],
  ['Washington', 78], ['Arizona', 74], ['Massachusetts', 70], ['Tennessee', 70], ['Indiana', 68], ['Maryland', 62],
  ['Missouri', 62], ['Wisconsin', 59], ['Colorado', 59], ['Minnesota', 57], ['South Carolina', 54], ['Alabama', 51],
  ['Louisiana', 46], ['Kentucky', 45], ['Oregon', 42], ['Oklahoma', 40], ['Connecticut', 36], ['Utah', 34],
  ['Iowa', 32], ['Nevada', 32], ['Arkansas', 31], ['Mississippi', 29], ['Kansas', 29], ['New Mexico', 21],
  ['Nebraska', 20], ['Idaho', 19], ['West Virginia', 18], ['Hawaii', 14], ['New Hampshire', 14], ['Maine', 14],
  ['Montana', 11], ['Rhode Island', 11], ['Delaware', 10], ['South Dakota', 9], ['North Dakota', 8], ['Alaska', 7],
  ['Vermont', 6.5], ['Wyoming', 5.8],
];

const CANADIAN_PROVINCES: Weighted = [
  ['Ontario', 156], ['Quebec', 89], ['British Columbia', 56], ['Alberta', 48], ['Manitoba', 15],
  ['Saskatchewan', 12], ['Nova Scotia', 11], ['New Brunswick', 8],
];

const FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara',
  'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy',
  'Anthony', 'Sofia', 'Mark', 'Emma', 'Luis', 'Olivia', 'Kenji', 'Yuki', 'Priya', 'Arjun', 'Lucas', 'Mia', 'Noah',
  'Hannah', 'Mateo', 'Chloe', 'Ethan', 'Grace', 'Lena', 'Felix', 'Ana', 'Diego', 'Wei', 'Min-jun',
];

const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson',
  'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Nguyen', 'Kim', 'Patel',
  'Tanaka', 'Sato', 'Schmidt', 'Muller', 'Dubois', 'Rossi', 'Silva', 'Santos', 'Chen', 'Singh', 'Novak', 'Jensen',
];

const SEGMENTS: Weighted = [['consumer', 80], ['small_business', 13], ['corporate', 7]];

interface DemoCategory {
  id: number;
  name: string;
  department: string;
  /** What one product of the category is called in product names. */
  noun: string;
  minPrice: number;
  maxPrice: number;
  /** Typical unit cost as a share of the list price. */
  costRatio: number;
  /** Relative number of products in the category. */
  assortment: number;
}

const CATEGORIES: DemoCategory[] = [
  { id: 1, name: 'Smartphones', department: 'Electronics', noun: 'Smartphone', minPrice: 199, maxPrice: 1299, costRatio: 0.72, assortment: 2 },
  { id: 2, name: 'Laptops', department: 'Electronics', noun: 'Laptop', minPrice: 449, maxPrice: 2499, costRatio: 0.78, assortment: 2 },
  { id: 3, name: 'Headphones', department: 'Electronics', noun: 'Headphones', minPrice: 19, maxPrice: 399, costRatio: 0.55, assortment: 2 },
  { id: 4, name: 'Smart Home', department: 'Electronics', noun: 'Smart Speaker', minPrice: 29, maxPrice: 299, costRatio: 0.6, assortment: 2 },
  { id: 5, name: 'Cameras', department: 'Electronics', noun: 'Camera', minPrice: 149, maxPrice: 1899, costRatio: 0.7, assortment: 2 },
  { id: 6, name: 'Cookware', department: 'Home & Kitchen', noun: 'Skillet', minPrice: 15, maxPrice: 249, costRatio: 0.45, assortment: 4 },
  { id: 7, name: 'Small Appliances', department: 'Home & Kitchen', noun: 'Blender', minPrice: 25, maxPrice: 399, costRatio: 0.55, assortment: 4 },
  { id: 8, name: 'Furniture', department: 'Home & Kitchen', noun: 'Desk Chair', minPrice: 79, maxPrice: 1199, costRatio: 0.5, assortment: 4 },
  { id: 9, name: 'Bedding', department: 'Home & Kitchen', noun: 'Duvet', minPrice: 19, maxPrice: 299, costRatio: 0.4, assortment: 4 },
  { id: 10, name: 'Menswear', department: 'Apparel', noun: 'Jacket', minPrice: 15, maxPrice: 249, costRatio: 0.35, assortment: 5 },
  { id: 11, name: 'Womenswear', department: 'Apparel', noun: 'Dress', minPrice: 15, maxPrice: 299, costRatio: 0.35, assortment: 5 },
  { id: 12, name: 'Footwear', department: 'Apparel', noun: 'Sneakers', minPrice: 29, maxPrice: 249, costRatio: 0.45, assortment: 5 },
  { id: 13, name: 'Bags & Accessories', department: 'Apparel', noun: 'Backpack', minPrice: 9, maxPrice: 149, costRatio: 0.35, assortment: 5 },
  { id: 14, name: 'Fitness', department: 'Sports & Outdoors', noun: 'Yoga Mat', minPrice: 12, maxPrice: 899, costRatio: 0.5, assortment: 4 },
  { id: 15, name: 'Camping', department: 'Sports & Outdoors', noun: 'Tent', minPrice: 19, maxPrice: 599, costRatio: 0.5, assortment: 4 },
  { id: 16, name: 'Cycling', department: 'Sports & Outdoors', noun: 'Bike Helmet', minPrice: 25, maxPrice: 1999, costRatio: 0.6, assortment: 4 },
  { id: 17, name: 'Skincare', department: 'Beauty', noun: 'Serum', minPrice: 8, maxPrice: 119, costRatio: 0.3, assortment: 5 },
  { id: 18, name: 'Makeup', department: 'Beauty', noun: 'Lipstick', minPrice: 6, maxPrice: 69, costRatio: 0.3, assortment: 5 },
  { id: 19, name: 'Fragrance', department: 'Beauty', noun: 'Eau de Parfum', minPrice: 25, maxPrice: 199, costRatio: 0.35, assortment: 5 },
  { id: 20, name: 'Board Games', department: 'Toys & Games', noun: 'Board Game', minPrice: 12, maxPrice: 89, costRatio: 0.5, assortment: 4 },
  { id: 21, name: 'Toys', department: 'Toys & Games', noun: 'Building Set', minPrice: 9, maxPrice: 199, costRatio: 0.5, assortment: 4 },
  { id: 22, name: 'Video Games', department: 'Toys & Games', noun: 'Video Game', minPrice: 19, maxPrice: 79, costRatio: 0.7, assortment: 4 },
  { id: 23, name: 'Coffee & Tea', department: 'Grocery', noun: 'Coffee Beans', minPrice: 6, maxPrice: 49, costRatio: 0.55, assortment: 6 },
  { id: 24, name: 'Snacks', department: 'Grocery', noun: 'Snack Box', minPrice: 3, maxPrice: 39, costRatio: 0.6, assortment: 6 },
];

const BRANDS = [
  'Aurora', 'Brightline', 'Cobalt', 'Driftwood', 'Evergreen', 'Fjord', 'Granite', 'Halcyon', 'Ironclad', 'Juniper',
  'Kestrel', 'Lumen', 'Meridian', 'Nimbus', 'Orchid', 'Pinnacle', 'Quartz', 'Redwood', 'Summit', 'Tidewater',
];
const MODEL_WORDS = ['Pro', 'Max', 'Lite', 'Air', 'Plus', 'Classic', 'Sport', 'Ultra', 'Mini', 'Studio', 'Essential', 'Signature'];

const ORDER_LINES: Weighted = [[1, 33], [2, 26], [3, 18], [4, 11], [5, 7], [6, 5]];

// Business buyers order in bulk; this is what makes corporate revenue per order stand out.
const QUANTITIES: Record<string, Weighted> = {
  consumer: [[1, 72], [2, 18], [3, 6], [4, 2.5], [5, 1.5]],
  small_business: [[1, 45], [2, 25], [3, 12], [4, 8], [5, 5], [10, 5]],
  corporate: [[1, 30], [2, 20], [3, 12], [5, 15], [10, 13], [20, 10]],
};

const PAYMENT_METHODS: Record<string, Weighted> = {
  consumer: [['card', 62], ['paypal', 25], ['gift_card', 8], ['bank_transfer', 5]],
  small_business: [['card', 55], ['paypal', 15], ['bank_transfer', 27], ['gift_card', 3]],
  corporate: [['card', 30], ['paypal', 5], ['bank_transfer', 64], ['gift_card', 1]],
};

const RETURN_REASONS: Weighted = [
  ['changed_mind', 24], ['wrong_size', 22], ['defective', 16], ['damaged', 14], ['not_as_described', 14], ['late_delivery', 10],
];

const MARKETING_CHANNELS = [
  { channel: 'search', label: 'Search', share: 0.38 },
  { channel: 'social', label: 'Social', share: 0.27 },
  { channel: 'display', label: 'Display', share: 0.15 },
  { channel: 'affiliate', label: 'Affiliate', share: 0.12 },
  { channel: 'email', label: 'Email', share: 0.08 },
];

/** Average marketing spend per day across all channels and regions at scale 1, in USD (about 7% of revenue). */
const DAILY_MARKETING_SPEND = 16_000;

const DAY_OF_WEEK_FACTOR = [0.95, 0.93, 0.95, 0.98, 1.05, 1.12, 1.02]; // ISO Monday..Sunday
const MONTH_FACTOR = [0.85, 0.78, 0.9, 0.92, 0.96, 0.95, 0.98, 1.0, 0.94, 1.02, 1.35, 1.6];
const YEARLY_GROWTH = 1.25;

type Weighted = ReadonlyArray<readonly [value: string | number, weight: number]>;

function literal(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

function listLiteral(values: ReadonlyArray<string | number>): string {
  return `[${values.map(literal).join(', ')}]`;
}

/**
 * A uniform draw in [0, 1) that depends only on the keys: hash-based instead of random(),
 * so the same scale always produces the same data. The salt keeps draws independent.
 */
function uniform(salt: string, ...keys: string[]): string {
  return `(hash(${keys.join(', ')}, ${literal(salt)}) % 1000000)::DOUBLE / 1000000`;
}

/** One item of a list chosen by the hash of the keys, every item equally likely. */
function pickFrom(values: ReadonlyArray<string | number>, salt: string, ...keys: string[]): string {
  return `${listLiteral(values)}[1 + (hash(${keys.join(', ')}, ${literal(salt)}) % ${values.length})::INTEGER]`;
}

/**
 * A popularity rank in 0..n-1 from a uniform draw: log-uniform, so low ranks are drawn far more often
 * (with spread 100, the top 1% of ranks get about 15% of the draws and the top 10% about half).
 * A prime stride then scatters ranks over ids, so the favourites are not simply ids 1, 2, 3.
 */
function popularId(draw: string, n: number, spread: number): string {
  // Small demo catalogs get a gentler skew, or a handful of ids would take every draw.
  const effectiveSpread = Math.min(spread, n);
  const rank = `CAST(floor(${n} * (pow(${1 + effectiveSpread}, ${draw}) - 1) / ${effectiveSpread}) AS BIGINT)`;
  return `(${rank} * 2147483647 + 7919) % ${n} + 1`;
}

/** A CASE that maps a uniform draw to one of the choices with probability proportional to its weight. */
function pickWeighted(draw: string, choices: Weighted): string {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let cumulative = 0;
  const branches = choices.slice(0, -1).map(([value, weight]) => {
    cumulative += weight;
    return `WHEN ${draw} < ${(cumulative / total).toFixed(6)} THEN ${literal(value)}`;
  });
  const last = choices.at(-1);
  if (!last) throw new Error('pickWeighted needs at least one choice');
  return `CASE ${branches.join(' ')} ELSE ${literal(last[0])} END`;
}

/** A CASE over a key column that uses a different weighted pick for each key value. */
function pickWeightedBy(column: string, draw: string, choicesByKey: Record<string | number, Weighted>): string {
  const branches = Object.entries(choicesByKey).map(([key, choices]) => {
    const keyLiteral = /^\d+$/.test(key) ? key : literal(key);
    return `WHEN ${column} = ${keyLiteral} THEN ${pickWeighted(draw, choices)}`;
  });
  return `CASE ${branches.join(' ')} END`;
}

/** The days of the sales window with an integer demand weight: growth, seasonality, weekdays, Black Friday, noise. */
function calendarSql(): string {
  const promo = `CASE WHEN day IN (${BLACK_FRIDAYS.map((d) => `DATE '${d}'`).join(', ')})
      OR day IN (${BLACK_FRIDAYS.map((d) => `DATE '${d}' + 3`).join(', ')}) THEN 2.2
    WHEN ${BLACK_FRIDAYS.map((d) => `day BETWEEN DATE '${d}' - 3 AND DATE '${d}' + 4`).join(' OR ')} THEN 1.3
    ELSE 1.0 END`;
  // Integer weights make the running total exact, so order dates cannot drift between runs.
  return `CREATE TABLE ${STAGE}.calendar AS
    WITH days AS (
      SELECT CAST(d AS DATE) AS day FROM generate_series(DATE '${FIRST_DAY}', DATE '${LAST_DAY}', INTERVAL 1 DAY) g(d)
    ), weighted AS (
      SELECT day,
        CAST(1000000 * pow(${YEARLY_GROWTH}, (day - DATE '${FIRST_DAY}') / 365.25)
          * ${listLiteral(MONTH_FACTOR)}[month(day)]
          * ${listLiteral(DAY_OF_WEEK_FACTOR)}[isodow(day)]
          * ${promo}
          * (0.9 + 0.2 * ${uniform('day_noise', 'day')}) AS BIGINT) AS weight
      FROM days
    )
    SELECT day, weight, CAST(sum(weight) OVER (ORDER BY day) - weight AS BIGINT) AS cumulative_start
    FROM weighted`;
}

interface TableDefinition {
  /** Column and foreign-key definitions; the primary key is added after the load. */
  columns: string;
  primaryKey: string[];
}

const TABLES: Record<string, TableDefinition> = {
  regions: {
    columns: `region_id INTEGER NOT NULL,
      region_name VARCHAR NOT NULL UNIQUE`,
    primaryKey: ['region_id'],
  },
  stores: {
    columns: `store_id INTEGER NOT NULL,
      store_name VARCHAR NOT NULL,
      region_id INTEGER NOT NULL REFERENCES regions (region_id),
      city VARCHAR NOT NULL,
      country VARCHAR NOT NULL,
      opened_date DATE NOT NULL,
      channel VARCHAR NOT NULL CHECK (channel IN ('online', 'retail'))`,
    primaryKey: ['store_id'],
  },
  categories: {
    columns: `category_id INTEGER NOT NULL,
      category_name VARCHAR NOT NULL UNIQUE,
      department VARCHAR NOT NULL`,
    primaryKey: ['category_id'],
  },
  products: {
    columns: `product_id INTEGER NOT NULL,
      product_name VARCHAR NOT NULL,
      category_id INTEGER NOT NULL REFERENCES categories (category_id),
      brand VARCHAR NOT NULL,
      unit_price DECIMAL(10,2) NOT NULL,
      unit_cost DECIMAL(10,2) NOT NULL,
      launched_date DATE NOT NULL`,
    primaryKey: ['product_id'],
  },
  customers: {
    columns: `customer_id INTEGER NOT NULL,
      first_name VARCHAR NOT NULL,
      last_name VARCHAR NOT NULL,
      email VARCHAR NOT NULL,
      state VARCHAR,
      country VARCHAR NOT NULL,
      segment VARCHAR NOT NULL CHECK (segment IN ('consumer', 'corporate', 'small_business')),
      signup_date DATE NOT NULL,
      region_id INTEGER NOT NULL REFERENCES regions (region_id)`,
    primaryKey: ['customer_id'],
  },
  orders: {
    columns: `order_id INTEGER NOT NULL,
      customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
      store_id INTEGER NOT NULL REFERENCES stores (store_id),
      order_date DATE NOT NULL,
      order_ts TIMESTAMP NOT NULL,
      status VARCHAR NOT NULL CHECK (status IN ('completed', 'shipped', 'cancelled', 'returned', 'pending')),
      channel VARCHAR NOT NULL CHECK (channel IN ('online', 'retail')),
      discount_pct DECIMAL(5,2) NOT NULL`,
    primaryKey: ['order_id'],
  },
  order_items: {
    columns: `order_item_id INTEGER NOT NULL,
      order_id INTEGER NOT NULL REFERENCES orders (order_id),
      product_id INTEGER NOT NULL REFERENCES products (product_id),
      quantity INTEGER NOT NULL,
      unit_price DECIMAL(10,2) NOT NULL,
      discount_amount DECIMAL(10,2) NOT NULL,
      line_total DECIMAL(12,2) NOT NULL,
      order_date DATE NOT NULL`,
    primaryKey: ['order_item_id'],
  },
  payments: {
    columns: `payment_id INTEGER NOT NULL,
      order_id INTEGER NOT NULL REFERENCES orders (order_id),
      payment_date DATE NOT NULL,
      method VARCHAR NOT NULL CHECK (method IN ('card', 'paypal', 'bank_transfer', 'gift_card')),
      amount DECIMAL(12,2) NOT NULL,
      status VARCHAR NOT NULL CHECK (status IN ('paid', 'pending', 'partially_refunded', 'refunded'))`,
    primaryKey: ['payment_id'],
  },
  returns: {
    columns: `return_id INTEGER NOT NULL,
      order_item_id INTEGER NOT NULL REFERENCES order_items (order_item_id),
      return_date DATE NOT NULL,
      reason VARCHAR NOT NULL,
      refund_amount DECIMAL(12,2) NOT NULL`,
    primaryKey: ['return_id'],
  },
  marketing_spend: {
    columns: `spend_date DATE NOT NULL,
      channel VARCHAR NOT NULL CHECK (channel IN ('search', 'social', 'email', 'display', 'affiliate')),
      region_id INTEGER NOT NULL REFERENCES regions (region_id),
      campaign VARCHAR NOT NULL,
      spend DECIMAL(12,2) NOT NULL`,
    primaryKey: ['spend_date', 'channel', 'region_id'],
  },
};

function createTable(name: string): string {
  const definition = TABLES[name];
  if (!definition) throw new Error(`unknown demo table ${name}`);
  return `CREATE TABLE ${name} (${definition.columns})`;
}

/** Building the primary key in one pass after the load is faster than maintaining it row by row. */
function addPrimaryKey(name: string): string {
  return `ALTER TABLE ${name} ADD PRIMARY KEY (${TABLES[name]?.primaryKey.join(', ')})`;
}

/** Fills a table created earlier, reporting it first. */
function fillTable(name: string, insert: string): LaneStep[] {
  return [{ progress: `loading ${name}` }, insert];
}

/** Creates, fills and keys a table in one lane. */
function loadTable(name: string, insert: string): LaneStep[] {
  return [createTable(name), ...fillTable(name, insert), addPrimaryKey(name)];
}

interface TableDocumentation {
  table: string;
  columns: Record<string, string>;
}

/** Business meaning of every table and column; the catalog and search index read these comments. */
const DOCUMENTATION: Record<string, TableDocumentation> = {
  regions: {
    table: 'Sales regions the business reports on. One row per region.',
    columns: {
      region_id: 'Region identifier.',
      region_name: 'Region name: North America, Europe, APAC or LATAM.',
    },
  },
  stores: {
    table: 'Sales outlets: physical retail stores plus one online store per region. One row per store.',
    columns: {
      store_id: 'Store identifier. Stores 1-4 are the online stores of each region.',
      store_name: 'Display name of the store, e.g. "Chicago Downtown" or "Online Store Europe".',
      region_id: 'Region the store belongs to (regions.region_id).',
      city: 'City where the store is located (head office city for online stores).',
      country: 'Country where the store is located.',
      opened_date: 'Date the store opened for business.',
      channel: "Sales channel of the store: 'online' or 'retail'.",
    },
  },
  categories: {
    table: 'Product categories, grouped into departments. One row per category.',
    columns: {
      category_id: 'Category identifier.',
      category_name: 'Category name, e.g. Laptops, Footwear, Skincare.',
      department: 'Parent department of the category, e.g. Electronics, Apparel, Beauty.',
    },
  },
  products: {
    table: 'Product catalog (SKUs) with current list price and unit cost. One row per product.',
    columns: {
      product_id: 'Product identifier (SKU).',
      product_name: 'Product display name: brand, model and product type.',
      category_id: 'Category of the product (categories.category_id).',
      brand: 'Brand name of the product.',
      unit_price: 'List price of one unit, in USD.',
      unit_cost: 'Cost of goods for one unit, in USD. Gross margin per unit is unit_price - unit_cost.',
      launched_date: 'Date the product was first offered for sale.',
    },
  },
  customers: {
    table: 'Customers (people and businesses) who have an account. One row per customer.',
    columns: {
      customer_id: 'Customer identifier.',
      first_name: 'Customer first name (contact person for business customers).',
      last_name: 'Customer last name.',
      email: 'Customer email address (synthetic, example.com).',
      state: 'US state (e.g. Texas, California) or Canadian province of the customer; NULL outside the United States and Canada.',
      country: 'Country of the customer.',
      segment: "Customer segment: 'consumer', 'small_business' or 'corporate'.",
      signup_date: 'Date the customer created an account; never after their first order.',
      region_id: 'Home region of the customer (regions.region_id).',
    },
  },
  orders: {
    table: 'Customer orders (order headers), 2023-01-01 to 2025-12-31. One row per order; revenue lives in order_items.',
    columns: {
      order_id: 'Order identifier; increases with order time.',
      customer_id: 'Customer who placed the order (customers.customer_id).',
      store_id: 'Store that took the order (stores.store_id); online orders belong to the online store of the region.',
      order_date: 'Calendar date the order was placed.',
      order_ts: 'Timestamp the order was placed (store local time).',
      status: "Fulfilment status: 'completed', 'shipped', 'pending', 'cancelled' (never paid, excluded from revenue) or 'returned' (every item sent back and refunded).",
      channel: "Sales channel: 'online' or 'retail'.",
      discount_pct: 'Order-level discount in percent (0-100) applied to every line of the order.',
    },
  },
  order_items: {
    table: 'Order lines: one row per product in an order. The source of revenue and quantity sold.',
    columns: {
      order_item_id: 'Order line identifier.',
      order_id: 'Order the line belongs to (orders.order_id).',
      product_id: 'Product sold on the line (products.product_id).',
      quantity: 'Number of units sold on the line.',
      unit_price: 'Price of one unit at the time of the order, in USD, before discounts.',
      discount_amount: 'Discount given on the line, in USD.',
      line_total: 'Line revenue after discounts, in USD: quantity * unit_price - discount_amount.',
      order_date: 'Date of the order (copied from orders.order_date) so lines can be aggregated over time without a join.',
    },
  },
  payments: {
    table: 'Customer payments: exactly one payment per order that was not cancelled, for the full order amount.',
    columns: {
      payment_id: 'Payment identifier.',
      order_id: 'Order that was paid (orders.order_id).',
      payment_date: 'Date the money was received (bank transfers settle 1-3 days after the order).',
      method: "Payment method: 'card', 'paypal', 'bank_transfer' or 'gift_card'.",
      amount: 'Amount paid, in USD; equals the sum of line_total of the order.',
      status: "Payment status: 'paid', 'pending' (order not yet shipped), 'partially_refunded' or 'refunded'.",
    },
  },
  returns: {
    table: 'Returned order lines and the money refunded for them. One row per returned order item.',
    columns: {
      return_id: 'Return identifier.',
      order_item_id: 'Order line that was returned (order_items.order_item_id).',
      return_date: 'Date the return was received.',
      reason: "Return reason: 'changed_mind', 'wrong_size', 'defective', 'damaged', 'not_as_described' or 'late_delivery'.",
      refund_amount: "Amount refunded to the customer, in USD: the line total, less a 10% restocking fee when the reason is 'changed_mind'.",
    },
  },
  marketing_spend: {
    table: 'Daily marketing spend by channel, region and campaign. One row per day, channel and region.',
    columns: {
      spend_date: 'Date the spend was incurred.',
      channel: "Marketing channel: 'search', 'social', 'email', 'display' or 'affiliate'.",
      region_id: 'Region the spend targeted (regions.region_id).',
      campaign: 'Campaign name, e.g. "Holiday 2024 Search".',
      spend: 'Amount spent that day, in USD.',
    },
  },
};

function commentStatements(): string[] {
  return Object.entries(DOCUMENTATION).flatMap(([table, documentation]) => [
    `COMMENT ON TABLE ${table} IS ${literal(documentation.table)}`,
    ...Object.entries(documentation.columns).map(([column, text]) => `COMMENT ON COLUMN ${table}.${column} IS ${literal(text)}`),
  ]);
}

/** A statement, or a progress message to report when a lane reaches it. */
type LaneStep = string | { progress: string };

/**
 * Lanes run at the same time, each on its own connection; the steps of a lane run in order.
 * Index maintenance makes an INSERT into a keyed table single-threaded, so independent tables
 * load side by side. Only inserts do: concurrent DDL on tables linked by a foreign key conflicts.
 */
type Stage = LaneStep[][];

const LOAD_LANES = 2;

/** Launch date of a product: core products before the sales window, the others spread over it in id order. */
function launchedDateSql(productId: string, sizes: DemoSizes): string {
  const newProducts = Math.max(1, sizes.products - sizes.coreProducts);
  const draw = uniform('product_launch', productId);
  return `CASE WHEN ${productId} <= ${sizes.coreProducts}
    THEN DATE '2015-01-01' + CAST(floor(${draw} * 2921) AS INTEGER)
    ELSE DATE '${FIRST_DAY}' + CAST(floor((${productId} - ${sizes.coreProducts} - ${draw}) * 1000.0 / ${newProducts}) AS INTEGER) END`;
}

function storesInsertSql(sizes: DemoSizes): string {
  const storeRegions: Weighted = REGIONS.map((r) => [r.id, r.storeShare]);
  const onlineStoreRows = REGIONS.map((r) => `(${r.id}, ${literal(`Online Store ${r.name}`)}, ${r.id}, ${literal(r.onlineCity)}, ${literal(r.onlineCountry)})`).join(', ');
  // Stores 1-4 are the online stores; 5-8 give every region a retail flagship opened before 2023.
  return `INSERT INTO stores
    WITH retail AS (
      SELECT i AS store_id,
        CASE WHEN i <= 8 THEN i - 4 ELSE ${pickWeighted('u_region', storeRegions)} END AS region_id,
        u_city, u_open, u_when
      FROM (
        SELECT i, ${uniform('store_region', 'i')} AS u_region, ${uniform('store_city', 'i')} AS u_city,
          ${uniform('store_opened', 'i')} AS u_open, ${uniform('store_opened_day', 'i')} AS u_when
        FROM range(5, ${sizes.stores + 1}) r(i)
      )
    ), indexed AS (
      SELECT r.*, CAST(floor(r.u_city * n.cities) AS INTEGER) AS city_index
      FROM retail r JOIN (SELECT region_id, count(*) AS cities FROM ${STAGE}.cities GROUP BY region_id) n USING (region_id)
    ), located AS (
      SELECT i.*, c.city, c.country, row_number() OVER (PARTITION BY c.city ORDER BY i.store_id) AS city_rank
      FROM indexed i JOIN ${STAGE}.cities c USING (region_id, city_index)
    )
    SELECT store_id, store_name, region_id, city, country, opened_date, 'retail' AS channel FROM (
      SELECT store_id, region_id, city, country,
        city || ' ' || ${listLiteral(STORE_SUFFIXES)}[1 + (city_rank - 1) % ${STORE_SUFFIXES.length}]
          || CASE WHEN city_rank > ${STORE_SUFFIXES.length} THEN ' ' || CAST(1 + (city_rank - 1) // ${STORE_SUFFIXES.length} AS VARCHAR) ELSE '' END AS store_name,
        CASE WHEN store_id <= 8 OR u_open < 0.8
          THEN DATE '2008-01-01' + CAST(floor(u_when * 5478) AS INTEGER)
          ELSE DATE '2023-02-01' + CAST(floor(u_when * 970) AS INTEGER) END AS opened_date
      FROM located
    )
    UNION ALL
    SELECT store_id, store_name, region_id, city, country, DATE '2015-03-01', 'online'
    FROM (VALUES ${onlineStoreRows}) t(store_id, store_name, region_id, city, country)
    ORDER BY store_id`;
}

function productsInsertSql(sizes: DemoSizes): string {
  const categoryParameterRows = CATEGORIES.map((c) => `(${c.id}, ${literal(c.noun)}, ${c.minPrice}, ${c.maxPrice}, ${c.costRatio})`).join(', ');
  return `INSERT INTO products
    WITH drawn AS (
      SELECT i AS product_id,
        ${pickWeighted(uniform('product_category', 'i'), CATEGORIES.map((c) => [c.id, c.assortment]))} AS category_id,
        ${pickFrom(BRANDS, 'product_brand', 'i')} AS brand,
        ${pickFrom(MODEL_WORDS, 'product_model', 'i')} AS model,
        100 + (hash(i, 'product_series') % 900)::INTEGER AS series,
        ${uniform('product_price', 'i')} AS u_price,
        ${uniform('product_cost', 'i')} AS u_cost
      FROM range(1, ${sizes.products + 1}) r(i)
    ), priced AS (
      SELECT d.*, p.noun, p.cost_ratio,
        floor(p.min_price * pow(p.max_price / p.min_price, pow(d.u_price, 1.6))) + 0.99 AS list_price
      FROM drawn d JOIN (VALUES ${categoryParameterRows}) p(category_id, noun, min_price, max_price, cost_ratio) USING (category_id)
    )
    SELECT product_id,
      brand || ' ' || model || ' ' || noun || ' ' || series AS product_name,
      category_id, brand,
      CAST(list_price AS DECIMAL(10,2)) AS unit_price,
      CAST(round(list_price * (cost_ratio + (u_cost - 0.5) * 0.12), 2) AS DECIMAL(10,2)) AS unit_cost,
      ${launchedDateSql('product_id', sizes)} AS launched_date
    FROM priced
    ORDER BY product_id`;
}

/** Customers before their signup date is known: it is moved back to the first order once orders exist. */
function stagedCustomersSql(sizes: DemoSizes): string {
  const customerRegions: Weighted = REGIONS.map((r) => [r.id, r.customerShare]);
  return `CREATE TABLE ${STAGE}.customers AS
    WITH drawn AS (
      SELECT i AS customer_id,
        ${uniform('customer_region', 'i')} AS u_region, ${uniform('customer_country', 'i')} AS u_country,
        ${uniform('customer_state', 'i')} AS u_state, ${uniform('customer_segment', 'i')} AS u_segment,
        ${uniform('customer_signup', 'i')} AS u_signup,
        ${pickFrom(FIRST_NAMES, 'customer_first_name', 'i')} AS first_name,
        ${pickFrom(LAST_NAMES, 'customer_last_name', 'i')} AS last_name
      FROM range(1, ${sizes.customers + 1}) r(i)
    ), placed AS (
      SELECT *, ${pickWeighted('u_region', customerRegions)} AS region_id FROM drawn
    ), located AS (
      SELECT *, ${pickWeightedBy('region_id', 'u_country', CUSTOMER_COUNTRIES)} AS country FROM placed
    )
    SELECT customer_id, first_name, last_name,
      lower(replace(first_name, '-', '') || '.' || last_name || customer_id || '@example.com') AS email,
      CASE country
        WHEN 'United States' THEN ${pickWeighted('u_state', US_STATES)}
        WHEN 'Canada' THEN ${pickWeighted('u_state', CANADIAN_PROVINCES)}
      END AS state,
      country,
      ${pickWeighted('u_segment', SEGMENTS)} AS segment,
      DATE '2019-01-01' + CAST(floor(u_signup * 2557) AS INTEGER) AS earliest_signup,
      region_id
    FROM located`;
}

/**
 * Orders are laid over the calendar by its running weight, so order ids follow time, and a few
 * customers buy far more often than the rest.
 */
function stagedOrdersSql(sizes: DemoSizes): string {
  const { orders, customers } = sizes;
  return `CREATE TABLE ${STAGE}.orders AS
    WITH drawn AS (
      SELECT i AS order_id,
        CAST((i - 1) * t.total // ${orders} AS BIGINT) AS position,
        ${popularId(uniform('order_customer', 'i'), customers, 100)} AS customer_id,
        ${uniform('order_channel', 'i')} AS u_channel,
        hash(i, 'order_store') AS h_store,
        ${uniform('order_hour', 'i')} AS u_hour,
        hash(i, 'order_second') % 7200 AS second_offset,
        ${uniform('order_cancel', 'i')} AS u_cancel,
        ${uniform('order_return', 'i')} AS u_return,
        ${uniform('order_discount', 'i')} AS u_discount
      FROM range(1, ${orders + 1}) r(i), (SELECT CAST(sum(weight) AS BIGINT) AS total FROM ${STAGE}.calendar) t
    ), dated AS (
      SELECT d.*, c.day AS order_date FROM drawn d ASOF JOIN ${STAGE}.calendar c ON d.position >= c.cumulative_start
    ), placed AS (
      SELECT d.*, cu.region_id, cu.segment,
        CASE WHEN d.u_channel < 0.36 + 0.05 * (year(d.order_date) - 2023) THEN 'online' ELSE 'retail' END AS channel,
        CAST(d.h_store % n.region_stores AS INTEGER) AS store_index
      FROM dated d
      JOIN ${STAGE}.customers cu USING (customer_id)
      JOIN (SELECT DISTINCT region_id, region_stores FROM ${STAGE}.retail_stores) n ON n.region_id = cu.region_id
    ), stored AS (
      SELECT p.*,
        CASE WHEN p.channel = 'online' THEN p.region_id
          WHEN s.opened_date <= p.order_date THEN s.store_id
          ELSE s.flagship_store_id END AS store_id
      FROM placed p JOIN ${STAGE}.retail_stores s USING (region_id, store_index)
    )
    SELECT order_id, customer_id, store_id, order_date,
      order_date + to_seconds(3600 * ${pickWeighted('u_hour', [[0, 1], [6, 2], [8, 5], [10, 8], [12, 10], [14, 9], [16, 9], [18, 11], [20, 10], [22, 4]])} + second_offset) AS order_ts,
      CASE WHEN u_cancel < 0.05 THEN 'cancelled'
        WHEN order_date >= DATE '2025-12-29' THEN 'pending'
        WHEN order_date >= DATE '2025-12-20' THEN 'shipped'
        WHEN u_return < 0.025 THEN 'returned'
        ELSE 'completed' END AS status,
      channel,
      CAST(CASE WHEN month(order_date) = 12 OR (month(order_date) = 11 AND day(order_date) >= 20)
        THEN ${pickWeighted('u_discount', [[0, 45], [10, 20], [15, 15], [20, 12], [25, 8]])}
        ELSE ${pickWeighted('u_discount', [[0, 74], [5, 10], [10, 10], [15, 4], [20, 2]])} END AS DECIMAL(5,2)) AS discount_pct,
      region_id, segment
    FROM stored`;
}

/**
 * Each order draws its products with an even stronger skew than customers; a product not yet launched
 * gives way to a core product, and a product drawn twice keeps its first line only. Lines are numbered
 * from per-order running counts, which avoids sorting a million rows.
 */
function stagedItemsSql(sizes: DemoSizes): string {
  const { products, coreProducts } = sizes;
  return `CREATE TABLE ${STAGE}.items AS
    WITH sized AS (
      SELECT *, ${pickWeighted('u_lines', ORDER_LINES)} AS line_count
      FROM (SELECT *, ${uniform('order_lines', 'order_id')} AS u_lines FROM ${STAGE}.orders)
    ), drawn AS (
      SELECT *, list_transform(range(CAST(line_count AS BIGINT)), lambda k:
          ${popularId(uniform('item_product', 'order_id', 'k'), products, 300)}
        ) AS candidates
      FROM sized
    ), available AS (
      SELECT *, list_transform(candidates, lambda c:
          CASE WHEN ${launchedDateSql('c', sizes)} <= order_date THEN c ELSE 1 + c % ${coreProducts} END
        ) AS picks
      FROM drawn
    ), distinct_picks AS (
      SELECT *, list_filter(picks, lambda p, i: list_position(picks, p) = i) AS product_ids FROM available
    ), numbered AS (
      SELECT *, sum(len(product_ids)) OVER (ORDER BY order_id) - len(product_ids) AS earlier_items FROM distinct_picks
    ), lines AS (
      SELECT order_id, order_date, status, segment, discount_pct, earlier_items,
        unnest(product_ids) AS product_id, generate_subscripts(product_ids, 1) AS line_no
      FROM numbered
    ), priced AS (
      SELECT l.*, p.unit_price, c.department, ${uniform('item_quantity', 'l.order_id', 'l.line_no')} AS u_quantity
      FROM lines l JOIN products p USING (product_id) JOIN categories c USING (category_id)
    ), counted AS (
      SELECT *, ${pickWeightedBy('segment', 'u_quantity', QUANTITIES)} AS quantity FROM priced
    ), discounted AS (
      SELECT *, CAST(round(quantity * unit_price * discount_pct / 100, 2) AS DECIMAL(10,2)) AS discount_amount FROM counted
    )
    SELECT CAST(earlier_items + line_no AS INTEGER) AS order_item_id,
      order_id, product_id, quantity, unit_price, discount_amount,
      CAST(quantity * unit_price - discount_amount AS DECIMAL(12,2)) AS line_total,
      status, order_date, department
    FROM discounted`;
}

/** Fully returned orders send every line back; completed orders lose a few lines, apparel most often. */
function stagedReturnsSql(): string {
  return `CREATE TABLE ${STAGE}.returns AS
    WITH returned AS (
      SELECT order_item_id, order_id, order_date, line_total,
        ${uniform('return_reason', 'order_item_id')} AS u_reason,
        ${uniform('return_delay', 'order_item_id')} AS u_delay
      FROM ${STAGE}.items
      WHERE status = 'returned'
        OR (status = 'completed' AND ${uniform('item_return', 'order_item_id')} < CASE WHEN department = 'Apparel' THEN 0.05 ELSE 0.015 END)
    ), explained AS (
      SELECT *, ${pickWeighted('u_reason', RETURN_REASONS)} AS reason FROM returned
    )
    SELECT CAST(row_number() OVER (ORDER BY order_item_id) AS INTEGER) AS return_id,
      order_item_id, order_id,
      least(order_date + 2 + CAST(floor(u_delay * 26) AS INTEGER), DATE '${LAST_DAY}') AS return_date,
      reason,
      CAST(CASE WHEN reason = 'changed_mind' THEN round(line_total * 0.9, 2) ELSE line_total END AS DECIMAL(12,2)) AS refund_amount
    FROM explained`;
}

/** One payment per order that was not cancelled, for exactly the sum of its line totals. */
function paymentsInsertSql(): string {
  return `INSERT INTO payments
    WITH totals AS (
      SELECT order_id, sum(line_total) AS amount FROM ${STAGE}.items GROUP BY order_id
    ), payable AS (
      SELECT o.order_id, o.order_date, o.status, o.segment, t.amount,
        o.order_id IN (SELECT order_id FROM ${STAGE}.returns) AS has_refund,
        ${uniform('payment_method', 'o.order_id')} AS u_method
      FROM ${STAGE}.orders o JOIN totals t USING (order_id)
      WHERE o.status <> 'cancelled'
    ), paid AS (
      SELECT *, ${pickWeightedBy('segment', 'u_method', PAYMENT_METHODS)} AS method FROM payable
    )
    SELECT CAST(row_number() OVER (ORDER BY order_id) AS INTEGER) AS payment_id,
      order_id,
      CASE WHEN method = 'bank_transfer'
        THEN least(order_date + 1 + (hash(order_id, 'payment_settlement') % 3)::INTEGER, DATE '${LAST_DAY}')
        ELSE order_date END AS payment_date,
      method,
      CAST(amount AS DECIMAL(12,2)) AS amount,
      CASE WHEN status = 'pending' THEN 'pending'
        WHEN status = 'returned' THEN 'refunded'
        WHEN has_refund THEN 'partially_refunded'
        ELSE 'paid' END AS status
    FROM paid
    ORDER BY order_id`;
}

/** Daily spend follows the same demand curve as orders, split by channel and region shares. */
function marketingSpendInsertSql(scale: number): string {
  const channelRows = MARKETING_CHANNELS.map((c) => `(${literal(c.channel)}, ${literal(c.label)}, ${c.share})`).join(', ');
  const regionRows = REGIONS.map((r) => `(${r.id}, ${r.customerShare})`).join(', ');
  return `INSERT INTO marketing_spend
    SELECT c.day AS spend_date, ch.channel, r.region_id,
      CASE WHEN month(c.day) >= 11 THEN 'Holiday'
        WHEN month(c.day) <= 2 THEN 'New Year'
        WHEN month(c.day) <= 5 THEN 'Spring'
        WHEN month(c.day) <= 8 THEN 'Summer'
        ELSE 'Back to School' END || ' ' || year(c.day) || ' ' || ch.label AS campaign,
      CAST(round(${DAILY_MARKETING_SPEND * scale} * c.weight / t.average_weight * ch.share * r.share
        * (0.75 + 0.5 * ${uniform('marketing_noise', 'c.day', 'ch.channel', 'r.region_id')}), 2) AS DECIMAL(12,2)) AS spend
    FROM ${STAGE}.calendar c
    CROSS JOIN (SELECT sum(weight) / count(*) AS average_weight FROM ${STAGE}.calendar) t
    CROSS JOIN (VALUES ${channelRows}) ch(channel, label, share)
    CROSS JOIN (VALUES ${regionRows}) r(region_id, share)
    ORDER BY spend_date, ch.channel, r.region_id`;
}

/**
 * The whole generation: staging tables are drawn in the in-memory stage, then every table is
 * created once the tables it references are keyed. Each stage waits for the previous one.
 */
function generationPlan(sizes: DemoSizes, scale: number): Stage[] {
  const regionRows = REGIONS.map((r) => `(${r.id}, ${literal(r.name)})`).join(', ');
  const categoryRows = CATEGORIES.map((c) => `(${c.id}, ${literal(c.name)}, ${literal(c.department)})`).join(', ');
  const cityRows = STORE_CITIES.map(([region, city, country]) => `(${region}, ${literal(city)}, ${literal(country)})`).join(', ');
  return [
    [[
      ...loadTable('regions', `INSERT INTO regions VALUES ${regionRows}`),
      ...loadTable('categories', `INSERT INTO categories VALUES ${categoryRows}`),
      `CREATE TABLE ${STAGE}.cities AS
        SELECT region_id, city, country, CAST(row_number() OVER (PARTITION BY region_id ORDER BY city) - 1 AS INTEGER) AS city_index
        FROM (VALUES ${cityRows}) t(region_id, city, country)`,
      ...loadTable('stores', storesInsertSql(sizes)),
      `CREATE TABLE ${STAGE}.retail_stores AS
        SELECT region_id, store_id, opened_date,
          CAST(row_number() OVER (PARTITION BY region_id ORDER BY store_id) - 1 AS INTEGER) AS store_index,
          count(*) OVER (PARTITION BY region_id) AS region_stores,
          min(store_id) OVER (PARTITION BY region_id) AS flagship_store_id
        FROM stores WHERE channel = 'retail'`,
      ...loadTable('products', productsInsertSql(sizes)),
      { progress: `drawing ${sizes.orders} orders over ${FIRST_DAY}..${LAST_DAY}` },
      calendarSql(),
      stagedCustomersSql(sizes),
      stagedOrdersSql(sizes),
      ...loadTable('customers', `INSERT INTO customers
        SELECT c.customer_id, c.first_name, c.last_name, c.email, c.state, c.country, c.segment,
          least(c.earliest_signup, coalesce(f.first_order_date, c.earliest_signup)) AS signup_date, c.region_id
        FROM ${STAGE}.customers c
        LEFT JOIN (SELECT customer_id, min(order_date) AS first_order_date FROM ${STAGE}.orders GROUP BY customer_id) f USING (customer_id)
        ORDER BY c.customer_id`),
      createTable('orders'),
      createTable('marketing_spend'),
    ]],
    [
      fillTable('orders', `INSERT INTO orders
        SELECT order_id, customer_id, store_id, order_date, order_ts, status, channel, discount_pct
        FROM ${STAGE}.orders ORDER BY order_id`),
      [
        { progress: 'drawing order lines and returns' },
        stagedItemsSql(sizes),
        stagedReturnsSql(),
        ...fillTable('marketing_spend', marketingSpendInsertSql(scale)),
      ],
    ],
    [[
      addPrimaryKey('orders'),
      addPrimaryKey('marketing_spend'),
      createTable('order_items'),
      createTable('payments'),
    ]],
    [
      fillTable('order_items', `INSERT INTO order_items
        SELECT order_item_id, order_id, product_id, quantity, unit_price, discount_amount, line_total, order_date
        FROM ${STAGE}.items ORDER BY order_item_id`),
      fillTable('payments', paymentsInsertSql()),
    ],
    [[
      addPrimaryKey('order_items'),
      addPrimaryKey('payments'),
      ...loadTable('returns', `INSERT INTO returns
        SELECT return_id, order_item_id, return_date, reason, refund_amount FROM ${STAGE}.returns ORDER BY return_id`),
    ]],
  ];
}

const TABLE_NAMES = Object.keys(TABLES);

/**
 * Writes the retail demo database to `path`, replacing any existing file and its WAL. All data is
 * computed inside DuckDB from hash-based draws, so one scale (with one DuckDB version) always
 * yields the same rows. The file is checkpointed and closed, ready to be opened read-only.
 */
export async function generateDemoDatabase(path: string, options: DemoGenerationOptions = {}): Promise<DemoGenerationResult> {
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`scale must be a positive number; got ${scale}`);
  const started = performance.now();
  const report = options.onProgress ?? (() => {});

  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });

  const instance = await DuckDBInstance.create(path);
  const connections: DuckDBConnection[] = [];
  try {
    for (let lane = 0; lane < LOAD_LANES; lane++) connections.push(await instance.connect());
    const [main] = connections as [DuckDBConnection];
    // One checkpoint at the end is cheaper than the automatic ones a big load would trigger.
    await main.run(`SET checkpoint_threshold = '1GB'`);
    await main.run(`ATTACH ':memory:' AS ${STAGE}`);
    for (const stage of generationPlan(demoSizes(scale), scale)) {
      // Settle every lane before failing, so no statement is still running when the connections close.
      const lanes = await Promise.allSettled(stage.map((lane, index) => runLane(connections[index % connections.length]!, lane, report)));
      const failed = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
      if (failed) throw failed.reason;
    }
    await main.run(`DETACH ${STAGE}`);
    report('writing table and column comments');
    for (const sql of commentStatements()) await main.run(sql);
    report('checkpoint');
    await main.run('CHECKPOINT');
    const tables = await countRows(main);
    return { path, scale, tables, elapsedMs: Math.round(performance.now() - started) };
  } catch (error) {
    closeAll(instance, connections);
    // A half-written demo database would only mislead the next reader.
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
    throw error;
  } finally {
    closeAll(instance, connections);
  }
}

function closeAll(instance: DuckDBInstance, connections: DuckDBConnection[]): void {
  for (const connection of connections.splice(0)) connection.closeSync();
  instance.closeSync();
}

async function runLane(connection: DuckDBConnection, steps: LaneStep[], report: (step: string) => void): Promise<void> {
  for (const step of steps) {
    if (typeof step === 'string') await connection.run(step);
    else report(step.progress);
  }
}

async function countRows(connection: DuckDBConnection): Promise<Record<string, number>> {
  const sql = TABLE_NAMES.map((table) => `SELECT ${literal(table)} AS name, count(*) AS row_count FROM main.${table}`).join(' UNION ALL ');
  const reader = await connection.runAndReadAll(sql);
  const counts = new Map(reader.getRowsJS().map(([name, rowCount]) => [String(name), Number(rowCount)]));
  return Object.fromEntries(TABLE_NAMES.map((table) => [table, counts.get(table) ?? 0]));
}
