// Row types of data item descriptions (see migrations-data-items.ts).
import type { ColumnType } from 'kysely';
import type { DataItemDescription } from '@jplink/contracts';

export interface DataItemTables {
  rp_data_items: {
    client_id: string;
    subsystem_code: string;
    items: ColumnType<DataItemDescription[], string, string>;
    updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
}
