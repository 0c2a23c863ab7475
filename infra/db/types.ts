import { type EntityProperty, type Platform, TextType } from '@mikro-orm/core';

/**
 * Long Korean text. MikroORM maps `text` to SQL Server's legacy `text`, which is not Unicode; there
 * it must be `nvarchar(max)`. Other dialects keep their own text type.
 */
export class UnicodeTextType extends TextType {
  override getColumnType(prop: EntityProperty, platform: Platform): string {
    if (platform.constructor.name === 'MsSqlPlatform') return 'nvarchar(max)';
    return super.getColumnType(prop, platform);
  }
}
