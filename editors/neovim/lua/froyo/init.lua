-- froyo for Neovim's built-in LSP client (Neovim 0.7 and later).
--
-- Put `editors/neovim` on 'runtimepath' (or copy `lua/froyo` into your
-- config), then in init.lua:
--
--   require('froyo').setup()                       -- defaults
--   require('froyo').setup({ cmd = { '/path/to/froyo', 'lsp' } })
--
-- It starts `froyo lsp` for `*.cue`, `*.star` and `*.rego` buffers (policies
-- get their diagnostics), one server per
-- workspace (the directory holding `cue.mod/`, or the file's directory in
-- single-file mode), and sets omnifunc so that <C-x><C-o> completes.
local M = {}

local defaults = {
  cmd = { 'froyo', 'lsp' },
  filetypes = { 'cue', 'starlark', 'rego' },
  -- Called with (client, bufnr) when a buffer attaches.
  on_attach = nil,
}

local function root_of(path)
  local directory = vim.fn.fnamemodify(path, ':p:h')
  local found = vim.fn.finddir('cue.mod', directory .. ';')
  if found ~= '' then
    return vim.fn.fnamemodify(found, ':p:h:h')
  end
  return directory
end

function M.setup(options)
  local config = vim.tbl_extend('force', defaults, options or {})
  local clients = {}
  vim.cmd([[
    augroup froyo_filetypes
      autocmd!
      autocmd BufRead,BufNewFile *.cue setlocal filetype=cue
      autocmd BufRead,BufNewFile *.star setlocal filetype=starlark
      autocmd BufRead,BufNewFile *.rego setlocal filetype=rego
    augroup END
  ]])
  local group = vim.api.nvim_create_augroup('froyo_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      local bufnr = args.buf
      local root = root_of(vim.api.nvim_buf_get_name(bufnr))
      local id = clients[root]
      if id == nil or vim.lsp.get_client_by_id(id) == nil then
        id = vim.lsp.start_client({
          name = 'froyo',
          cmd = config.cmd,
          root_dir = root,
          on_attach = function(client, attached)
            vim.bo[attached].omnifunc = 'v:lua.vim.lsp.omnifunc'
            if config.on_attach then
              config.on_attach(client, attached)
            end
          end,
        })
        clients[root] = id
      end
      if id then
        vim.lsp.buf_attach_client(bufnr, id)
      end
    end,
  })
end

return M
