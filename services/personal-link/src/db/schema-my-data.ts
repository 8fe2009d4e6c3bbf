// Row types of My Data (see migrations-my-data.ts).
import type { ColumnType } from 'kysely';

export interface MyDataService {
  name: string;
  title: { ja: string; en: string };
}

export interface MyDataTables {
  my_data_sources: {
    client_id: string;
    subsystem_code: string;
    data_items: ColumnType<string[], string, string>;
    services: ColumnType<MyDataService[], string, string>;
    updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
}
