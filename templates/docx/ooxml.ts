/**
 * A small WordprocessingML writer for the built-in form templates: A4 pages, paragraphs and bordered
 * tables with merged cells, every text in a single run (so a docx-templates command is never split by
 * Word's proofing marks). Text is cleaned of characters XML cannot carry (documentSafeText) and XML-escaped here; what
 * a template's commands insert is cleaned in renderForm (templates/documents.ts) and escaped by docx-templates.
 */
import JSZip from 'jszip';
import { documentSafeText } from '../../domain/text';

export interface Run {
  text: string;
  bold?: boolean;
  /** Points. */
  size?: number;
}

export interface Paragraph {
  runs: (string | Run)[];
  align?: 'left' | 'center' | 'right' | 'both';
  /** Points of space after. */
  after?: number;
  bold?: boolean;
  size?: number;
}

export interface Cell {
  paragraphs: (string | Paragraph)[];
  span?: number;
  /** A cell continued from the row above (vertical merge). */
  continued?: boolean;
  /** This cell starts a vertical merge. */
  mergeDown?: boolean;
  /** A label cell: shaded and centred. */
  label?: boolean;
  align?: Paragraph['align'];
  /** Points, for dense tables such as the ledger. */
  size?: number;
}

export interface Row {
  cells: Cell[];
  /** Minimum height in millimetres. */
  height?: number;
  /** Repeated at the top of each page. */
  header?: boolean;
}

export interface Table {
  /** Column widths in millimetres; they add up to the text width. */
  columns: number[];
  rows: Row[];
}

export type Block = { paragraph: Paragraph } | { table: Table } | { pageBreak: true };

/** A4 with 20 mm margins as on the city's printed forms: 170 mm of text width upright, 257 mm on its side. */
const MARGIN_MM = 20;
const TWIPS_PER_MM = 56.6929;
const twips = (mm: number) => Math.round(mm * TWIPS_PER_MM);
const FONT = '맑은 고딕';
const BASE_SIZE_PT = 10.5;

function escapeXml(text: string): string {
  return documentSafeText(text).replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char] as string);
}

function runXml(run: string | Run, paragraph: Paragraph): string {
  const spec = typeof run === 'string' ? { text: run } : run;
  const bold = spec.bold ?? paragraph.bold;
  const size = spec.size ?? paragraph.size;
  const props = [bold ? '<w:b/><w:bCs/>' : '', size ? `<w:sz w:val="${size * 2}"/><w:szCs w:val="${size * 2}"/>` : ''].join('');
  return `<w:r>${props ? `<w:rPr>${props}</w:rPr>` : ''}<w:t xml:space="preserve">${escapeXml(spec.text)}</w:t></w:r>`;
}

function paragraphXml(input: string | Paragraph, defaults: Partial<Paragraph> = {}): string {
  const paragraph: Paragraph = typeof input === 'string' ? { runs: [input], ...defaults } : { ...defaults, ...input };
  const props = [
    paragraph.align ? `<w:jc w:val="${paragraph.align}"/>` : '',
    `<w:spacing w:before="0" w:after="${Math.round((paragraph.after ?? 0) * 20)}" w:line="276" w:lineRule="auto"/>`,
  ].join('');
  return `<w:p><w:pPr>${props}</w:pPr>${paragraph.runs.map((run) => runXml(run, paragraph)).join('')}</w:p>`;
}

function cellXml(cell: Cell, widthMm: number): string {
  const props = [
    `<w:tcW w:w="${twips(widthMm)}" w:type="dxa"/>`,
    cell.span && cell.span > 1 ? `<w:gridSpan w:val="${cell.span}"/>` : '',
    cell.mergeDown ? '<w:vMerge w:val="restart"/>' : cell.continued ? '<w:vMerge/>' : '',
    cell.label ? '<w:shd w:val="clear" w:color="auto" w:fill="EEF1F5"/>' : '',
    '<w:vAlign w:val="center"/>',
  ].join('');
  const align = cell.align ?? (cell.label ? 'center' : 'left');
  const paragraphs = cell.continued || cell.paragraphs.length === 0 ? [''] : cell.paragraphs;
  return `<w:tc><w:tcPr>${props}</w:tcPr>${paragraphs.map((p) => paragraphXml(p, { align, bold: cell.label, size: cell.size })).join('')}</w:tc>`;
}

function tableXml(table: Table): string {
  const border = (side: string) => `<w:${side} w:val="single" w:sz="6" w:space="0" w:color="000000"/>`;
  const grid = table.columns.map((width) => `<w:gridCol w:w="${twips(width)}"/>`).join('');
  const rows = table.rows
    .map((row) => {
      let column = 0;
      const cells = row.cells
        .map((cell) => {
          const span = cell.span ?? 1;
          const width = table.columns.slice(column, column + span).reduce((sum, w) => sum + w, 0);
          column += span;
          return cellXml(cell, width);
        })
        .join('');
      const props = [
        row.height ? `<w:trHeight w:val="${twips(row.height)}" w:hRule="atLeast"/>` : '',
        row.header ? '<w:tblHeader/>' : '',
        '<w:cantSplit/>',
      ].join('');
      return `<w:tr><w:trPr>${props}</w:trPr>${cells}</w:tr>`;
    })
    .join('');
  return (
    `<w:tbl><w:tblPr><w:tblW w:w="${twips(table.columns.reduce((sum, w) => sum + w, 0))}" w:type="dxa"/><w:tblLayout w:type="fixed"/>` +
    `<w:tblBorders>${['top', 'left', 'bottom', 'right', 'insideH', 'insideV'].map(border).join('')}</w:tblBorders>` +
    `<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr>` +
    `<w:tblGrid>${grid}</w:tblGrid>${rows}</w:tbl>`
  );
}

function blockXml(block: Block): string {
  if ('paragraph' in block) return paragraphXml(block.paragraph);
  if ('table' in block) return tableXml(block.table) + paragraphXml({ runs: [], after: 4 });
  return '<w:p><w:r><w:br w:type="page"/></w:r></w:p>';
}

const NAMESPACES =
  'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' +
  // Where a form places an image (the on-screen signature on Form 2), docx-templates writes a wp:inline drawing.
  'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"';

function documentXml(blocks: Block[], landscape: boolean): string {
  const margin = twips(MARGIN_MM);
  const [short, long] = [11906, 16838];
  const size = landscape ? `<w:pgSz w:w="${long}" w:h="${short}" w:orient="landscape"/>` : `<w:pgSz w:w="${short}" w:h="${long}"/>`;
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${NAMESPACES}><w:body>` +
    blocks.map(blockXml).join('') +
    `<w:sectPr>${size}<w:pgMar w:top="${margin}" w:right="${margin}" w:bottom="${margin}" ` +
    `w:left="${margin}" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr></w:body></w:document>`
  );
}

const STYLES =
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles ${NAMESPACES}><w:docDefaults><w:rPrDefault><w:rPr>` +
  `<w:rFonts w:ascii="${FONT}" w:hAnsi="${FONT}" w:eastAsia="${FONT}" w:cs="${FONT}"/>` +
  `<w:sz w:val="${BASE_SIZE_PT * 2}"/><w:szCs w:val="${BASE_SIZE_PT * 2}"/><w:lang w:val="ko-KR" w:eastAsia="ko-KR"/>` +
  `</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:wordWrap w:val="0"/></w:pPr></w:pPrDefault></w:docDefaults>` +
  `<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>`;

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
  '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>' +
  '</Types>';

const PACKAGE_RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
  '</Relationships>';

const DOCUMENT_RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' +
  '</Relationships>';

/** A complete .docx package holding the given blocks. */
export async function buildDocx(blocks: Block[], options: { landscape?: boolean } = {}): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('[Content_Types].xml', CONTENT_TYPES);
  zip.file('_rels/.rels', PACKAGE_RELS);
  zip.file('word/_rels/document.xml.rels', DOCUMENT_RELS);
  zip.file('word/document.xml', documentXml(blocks, options.landscape ?? false));
  zip.file('word/styles.xml', STYLES);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
